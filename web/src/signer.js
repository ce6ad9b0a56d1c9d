// Signing keys in the browser (电子劳动合同): a non-extractable ECDSA P-256
// key pair kept in IndexedDB with the certificate the platform issued for
// it. The private key never leaves the browser; the server sends the bytes
// to sign (the DER signed attributes of the PDF signature) and receives the
// raw r‖s signature. Losing the key (another browser, cleared data) only
// means enrolling again: a new key and a new certificate.

const DB_NAME = 'hexie-keys'
const STORE = 'keys'
const ALG = { name: 'ECDSA', namedCurve: 'P-256' }
const SIG = { name: 'ECDSA', hash: 'SHA-256' }
// A certificate this close to its end is renewed rather than used.
const MARGIN_MS = 5 * 60 * 1000

export class SignerError extends Error {}

export function supported() {
  return !!(window.isSecureContext && window.crypto && window.crypto.subtle && window.indexedDB)
}

function openDb() {
  return new Promise((resolve, reject) => {
    const req = window.indexedDB.open(DB_NAME, 1)
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE)
    }
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })
}

async function tx(mode, fn) {
  const db = await openDb()
  try {
    return await new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode)
      const req = fn(t.objectStore(STORE))
      t.oncomplete = () => resolve(req ? req.result : undefined)
      t.onerror = () => reject(t.error)
      t.onabort = () => reject(t.error)
    })
  } finally {
    db.close()
  }
}

const getRecord = (holder) => tx('readonly', (s) => s.get(holder))
const putRecord = (holder, rec) => tx('readwrite', (s) => s.put(rec, holder))
export const forget = (holder) => tx('readwrite', (s) => s.delete(holder))

export function toBase64(buf) {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf)
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

export function fromBase64(b64) {
  const s = atob(String(b64).replace(/\s+/g, ''))
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

// A short stable id from a secret (a link token): the holder name of a
// worker's key, so that the token itself is not stored.
export async function holderId(secret) {
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(String(secret))))
  return Array.from(h.slice(0, 12), (b) => b.toString(16).padStart(2, '0')).join('')
}

function certValid(rec) {
  if (!rec || !rec.privateKey || !rec.cert || !rec.cert.serial) return false
  const end = Date.parse(rec.cert.not_after || '')
  return Number.isNaN(end) ? true : end - MARGIN_MS > Date.now()
}

// A new key pair and its enrolment request {spki, proof}.
async function newKey() {
  const pair = await crypto.subtle.generateKey(ALG, false, ['sign', 'verify'])
  const spki = toBase64(await crypto.subtle.exportKey('spki', pair.publicKey))
  const proof = toBase64(await crypto.subtle.sign(SIG, pair.privateKey, new TextEncoder().encode('hexie-enrol:' + spki)))
  return { pair, spki, proof }
}

/**
 * The holder's key with a valid certificate: the stored one, or a new key
 * enrolled through `enrol({spki, proof})` → {serial, certificate, not_after}
 * when there is none, it expired, or `force` (the server refused the serial).
 */
export async function ensureKey(holder, enrol, { force = false } = {}) {
  if (!supported()) throw new SignerError('当前浏览器不支持安全签名（需要 HTTPS 或本机访问，并允许保存网站数据）')
  let rec = null
  try {
    rec = await getRecord(holder)
  } catch {
    rec = null
  }
  if (!force && certValid(rec)) return { ...rec, enrolled: false }
  const { pair, spki, proof } = await newKey()
  const c = await enrol({ spki, proof })
  if (!c || !c.serial) throw new SignerError('证书申请失败')
  rec = {
    holder,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    spki,
    cert: { serial: c.serial, certificate: c.certificate || '', not_after: c.not_after || '' },
    created_at: new Date().toISOString(),
  }
  try {
    await putRecord(holder, rec)
  } catch {
    /* private mode: the key works for this page only */
  }
  return { ...rec, enrolled: true }
}

// Signs the base64 bytes the server sent (ECDSA P-256 / SHA-256): base64 of r‖s.
export async function signBase64(rec, toSignB64) {
  const sig = await crypto.subtle.sign(SIG, rec.privateKey, fromBase64(toSignB64))
  return toBase64(sig)
}

const CERT_REFUSED = new Set(['cert_revoked', 'cert_unknown', 'cert_expired', 'cert_not_yours'])

/**
 * The whole signing round: key + certificate, prepare, sign, submit.
 *   enrol({spki, proof})          → {serial, certificate, not_after}
 *   prepare(serial)               → {signature_id, to_sign}
 *   submit({signature_id, signature}) → the server's answer
 * A certificate the server no longer accepts is replaced once.
 */
export async function signRound(holder, { enrol, prepare, submit }) {
  let rec = await ensureKey(holder, enrol)
  for (;;) {
    try {
      const prep = await prepare(rec.cert.serial)
      const signature = await signBase64(rec, prep.to_sign)
      return await submit({ signature_id: prep.signature_id, signature })
    } catch (e) {
      if (!CERT_REFUSED.has(e && e.code) || rec.enrolled) throw e
      rec = await ensureKey(holder, enrol, { force: true })
    }
  }
}
