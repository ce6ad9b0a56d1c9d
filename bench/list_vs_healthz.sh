#!/bin/sh
# Benchmark: GET /api/v1/enterprises (10,000 enterprises, a page of 20,
# logged in) against GET /healthz of the same server in the same run, with
# wrk. Prints requests/s of both and their ratio; also the time to import
# the 10,000 enterprises from a CSV file. Figures, never pass/fail.
#
#   bench/list_vs_healthz.sh [BIN] [DURATION_SECONDS] [SERVER_THREADS]
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-build/hexie}
DUR=${2:-10}
THREADS=${3:-2}
command -v wrk >/dev/null || { echo "wrk is missing (scripts/bootstrap installs it)"; exit 1; }
VAR=$(mktemp -d)
PW='Bench-Passw0rd-1'
trap 'kill $PID 2>/dev/null; rm -rf "$VAR"' EXIT
HEXIE_ADMIN_PASSWORD=$PW "$BIN" init --var "$VAR" >/dev/null

# 10,000 enterprises with valid credit codes, spread over the areas.
node -e '
const C="0123456789ABCDEFGHJKLMNPQRTUWXY", W=[1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28]
const areas=["浮云街道","元和街道","白龙山街道","凤凰山街道","崇头镇","石塘镇","紧水滩镇","雾溪畲族乡","安溪畲族乡","赤石乡","浙江云和经济开发区"]
const out=["统一社会信用代码,企业名称,法定代表人,地址,所属区域,行业门类,成立日期,职工人数,规模以上,公司制,特殊困难,中小微"]
for (let i=0;i<10000;i++){const f="91331125MA"+String(i).padStart(7,"0");let s=0;for(let k=0;k<17;k++)s+=C.indexOf(f[k])*W[k]
out.push([f+C[(31-s%31)%31],"基准测试企业"+i,"法人"+i,"云和县某路"+i+"号",areas[i%11],"C","2015-0"+(1+i%9)+"-15",10+i%500,i%3?"否":"是","是","否","是"].join(","))}
require("fs").writeFileSync(process.argv[1], out.join("\n"))' "$VAR/ents.csv"
T0=$(date +%s.%N)
"$BIN" import enterprises "$VAR/ents.csv" --var "$VAR" >/dev/null
T1=$(date +%s.%N)
echo "import of 10,000 enterprises (CSV, CLI): $(echo "$T1 - $T0" | bc) s"

# 10,000 workers of one enterprise (ID numbers checked, sealed and hashed).
node -e '
const W=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2], out=["姓名,身份证号码,手机号码,入职日期,岗位,用工形式"]
for (let i=0;i<10000;i++){const f="331125"+(1970+i%30)+String(1+i%12).padStart(2,"0")+String(1+i%28).padStart(2,"0")+String(i%1000).padStart(3,"0")
let s=0;for(let k=0;k<17;k++)s+=Number(f[k])*W[k];out.push(["职工"+i,f+"10X98765432"[s%11],"138"+String(i).padStart(8,"0"),"2020-03-01","装配工","全日制"].join(","))}
require("fs").writeFileSync(process.argv[1], out.join("\n"))' "$VAR/workers.csv"
T0=$(date +%s.%N)
"$BIN" import workers "$VAR/workers.csv" --enterprise 91331125MA0000000"$(node -e 'const C="0123456789ABCDEFGHJKLMNPQRTUWXY",W=[1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28],f="91331125MA0000000";let s=0;for(let k=0;k<17;k++)s+=C.indexOf(f[k])*W[k];process.stdout.write(C[(31-s%31)%31])')" --var "$VAR" >/dev/null
T1=$(date +%s.%N)
echo "import of 10,000 workers (CSV, CLI):     $(echo "$T1 - $T0" | bc) s"

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$BIN" serve --var "$VAR" --listen "127.0.0.1:$PORT" --threads "$THREADS" --web /nonexistent 2>/dev/null &
PID=$!
for i in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
COOKIE=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
	-d "{\"username\":\"admin\",\"password\":\"$PW\"}" "http://127.0.0.1:$PORT/api/v1/session" |
	sed -n 's/^[Ss]et-[Cc]ookie: \(hexie_session=[0-9a-f]*\).*/\1/p')
[ -n "$COOKIE" ] || { echo "login failed"; exit 1; }
URL="http://127.0.0.1:$PORT/api/v1/enterprises?page=1&page_size=20"
TOTAL=$(curl -s -H "Cookie: $COOKIE" "$URL" | node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>console.log(JSON.parse(d).total))')
echo "enterprises in the store: $TOTAL; server threads: $THREADS; wrk -t2 -c64 -d${DUR}s on $(nproc) cores"

rate() { wrk -t2 -c64 -d"${DUR}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
wrk -t2 -c16 -d2s "http://127.0.0.1:$PORT/healthz" >/dev/null  # warm up
H=$(rate "http://127.0.0.1:$PORT/healthz")
L=$(rate -H "Cookie: $COOKIE" "$URL")
echo "GET /healthz:                      $H requests/s"
echo "GET /api/v1/enterprises (page 20): $L requests/s"
echo "ratio list / healthz:              $(echo "scale=3; $L / $H" | bc)"
