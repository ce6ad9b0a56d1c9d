/* Demo data (示例): fictional enterprises spread over the county's areas,
 * each with a roster whose ID numbers and credit codes are valid, so that a
 * new installation can be tried at once. Every row is marked is_demo and
 * every enterprise name ends in （示例）. Deterministic for a given seed. */
#include "registry_impl.h"

#include <stdlib.h>
#include <string.h>

#include "../core/arena.h"
#include "../core/ids.h"
#include "../core/timeutil.h"

static unsigned next(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static const char *const TRADES[] = {"木制玩具", "精密机械", "竹木工艺", "食品", "服装", "电子元件",
				     "新材料", "物流", "旅游开发", "建材", "包装印刷", "茶叶"};
static const char *const INDUSTRY_OF[] = {"C", "C", "C", "C", "C", "C", "C", "G", "L", "C", "C", "A"};
static const char *const WORDS[] = {"云溪", "梯田", "仙宫", "龙泉", "白鹤", "凤栖", "紧水", "石塘", "赤岭",
				    "雾岚", "安澜", "和悦", "恒丰", "瑞达", "嘉木", "青竹", "童趣", "百川"};
static const char *const SURNAMES[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
				       "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗",
				       "叶", "蓝", "雷", "钟", "柳"};
static const char *const GIVEN[] = {"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋",
				    "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华", "平",
				    "建国", "丽华", "晓东", "海燕", "志强", "春梅", "文博", "雨桐"};
static const char *const JOBS[] = {"装配工", "质检员", "仓管员", "机修工", "包装工", "车间主任",
				   "会计", "销售", "司机", "设计师", "行政专员", "喷漆工"};

int hx_registry_demo_load(hx_ctx *c, int enterprises, int workers_per, unsigned seed, hx_err *err)
{
	hx_rows *areas;
	int rc = hx_db_query(c->db, c->arena, &areas, "SELECT id, code FROM areas WHERE kind <> 'county' ORDER BY id",
			     NULL, 0, err);
	if (rc)
		return rc;
	if (!areas->nrows)
		return hx_err_set(err, HX_EINVAL, "no_areas", "", "load the areas first");
	char today[11];
	hx_today(today);
	int ty = atoi(today);
	unsigned s = seed;
	for (int i = 0; i < enterprises; i++) {
		int t = (int)(next(&s) % (sizeof TRADES / sizeof TRADES[0]));
		const char *w1 = WORDS[next(&s) % (sizeof WORDS / sizeof WORDS[0])];
		int ai = (int)(next(&s) % (unsigned)areas->nrows);
		/* USCC: 9 (工商) 1 (企业) 331125 + org code (8 + check) + check */
		char u[19];
		snprintf(u, sizeof u, "91331125MA%02d%04u", i % 100, next(&s) % 10000);
		u[16] = "0123456789ABCDEFGHJKLMNPQRTUWXY"[next(&s) % 31];
		u[17] = '\0';
		u[17] = hx_uscc_check_char(u);
		u[18] = '\0';
		json_t *f = json_object();
		hx_arena_defer(c->arena, (void (*)(void *))json_decref, f);
		json_object_set_new(f, "uscc", json_string(u));
		json_object_set_new(f, "name", json_string(hx_arena_printf(c->arena, "云和%s%s有限公司（示例）", w1, TRADES[t])));
		json_object_set_new(f, "legal_representative",
				    json_string(hx_arena_printf(c->arena, "%s%s", SURNAMES[next(&s) % 25], GIVEN[next(&s) % 28])));
		json_object_set_new(f, "address", json_string(hx_arena_printf(c->arena, "浙江省丽水市云和县%s路%u号", w1, 1 + next(&s) % 300)));
		json_object_set_new(f, "area_id", json_integer(hx_rows_int(areas, ai, "id")));
		json_object_set_new(f, "industry", json_string(INDUSTRY_OF[t]));
		/* a few registered within the last year (新注册) */
		char reg[11];
		int years = (i % 7 == 0) ? 0 : 1 + (int)(next(&s) % 20);
		hx_date_format(reg, ty - years, 1 + (int)(next(&s) % 12), 1 + (int)(next(&s) % 28));
		if (strcmp(reg, today) > 0)
			hx_date_format(reg, ty - 1, 12, 1);
		json_object_set_new(f, "registered_on", json_string(reg));
		int staff = 8 + (int)(next(&s) % 400);
		json_object_set_new(f, "employee_count", json_integer(staff));
		json_object_set_new(f, "above_scale", json_boolean(staff >= 100));
		json_object_set_new(f, "is_company", json_boolean(next(&s) % 5 != 0));
		json_object_set_new(f, "special_difficulty", json_boolean(next(&s) % 9 == 0));
		json_object_set_new(f, "is_sme", json_boolean(staff < 300));
		long long eid, taken = 0;
		hx_err_clear(err);
		hx_param uq[] = {hx_p_text(u)};
		if ((rc = hx_db_int(c->db, &taken, "SELECT count(*) FROM enterprises WHERE uscc = ?", uq, 1, err)))
			return rc;
		if (taken)
			continue; /* a code repeated by chance (checked first: a failed
				   * statement would end a PostgreSQL transaction) */
		if ((rc = hx_registry_enterprise_insert(&eid, c, f, 1, err)))
			return rc;
		for (int k = 0; k < workers_per; k++) {
			char id[19];
			int by = ty - 19 - (int)(next(&s) % 40);
			snprintf(id, sizeof id, "%s%04d%02u%02u%03u", hx_rows_get(areas, ai, "code") ?
				 "331125" : "331125", by, 1 + next(&s) % 12, 1 + next(&s) % 28, next(&s) % 1000);
			id[17] = hx_idnum_check_char(id);
			id[18] = '\0';
			char hire[11];
			int hy = ty - (int)(next(&s) % 8);
			if (hy < by + 18)
				hy = by + 18;
			hx_date_format(hire, hy, 1 + (int)(next(&s) % 12), 1 + (int)(next(&s) % 28));
			if (strcmp(hire, today) > 0)
				hx_date_format(hire, ty - 1, 6, 1);
			json_t *b = json_object();
			hx_arena_defer(c->arena, (void (*)(void *))json_decref, b);
			json_object_set_new(b, "enterprise_id", json_integer(eid));
			json_object_set_new(b, "name", json_string(hx_arena_printf(c->arena, "%s%s", SURNAMES[next(&s) % 25], GIVEN[next(&s) % 28])));
			json_object_set_new(b, "id_number", json_string(id));
			json_object_set_new(b, "phone", json_string(hx_arena_printf(c->arena, "1%u%09u", 3 + next(&s) % 7,
										       (next(&s) * 32768u + next(&s)) % 1000000000u)));
			json_object_set_new(b, "hire_date", json_string(hire));
			json_object_set_new(b, "job", json_string(JOBS[next(&s) % 12]));
			unsigned et = next(&s) % 20;
			json_object_set_new(b, "employment_type", json_string(et == 0 ? "part_time" : et == 1 ? "dispatched" : "full_time"));
			hx_worker_row w = {0};
			long long wid;
			if (hx_registry_worker_check(&w, c, b, 1, err))
				continue; /* an odd random date: skip the row */
			long long dup = 0;
			hx_param dq[] = {hx_p_int(eid), hx_p_text(w.id_hash)};
			if ((rc = hx_db_int(c->db, &dup,
					    "SELECT count(*) FROM workers WHERE enterprise_id = ? AND id_hash = ?"
					    " AND deleted_at IS NULL AND leave_date IS NULL",
					    dq, 2, err)))
				return rc;
			if (dup)
				continue;
			if ((rc = hx_registry_worker_insert(&wid, c, &w, 1, err)))
				return rc;
		}
	}
	hx_err_clear(err);
	return 0;
}
