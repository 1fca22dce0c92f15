// A JavaScript port of the operator's cookie and CSRF token (shared/flows/admin/admin_session.cpp
// over shared/flows/otp/otp_codes.cpp keyed_hash), for tests that craft cookies the core must
// accept or refuse: an expired one, one for an address that is not in admin.emails, one whose
// mac was changed. A crafted valid cookie that the host accepts proves the port exact, and so the
// refusals meaningful.
//
//   keyedHash(secret, kind, parts)   HMAC-SHA256 keyed with `secret` (SALIENT_OTP_SECRET) over
//                                    "<len>:<part>" for "salient-otp-v1", kind, then each part
//                                    (lengths in bytes), as 64 lower-case hex digits
//   adminCookie({ secret, tenant, email, expiresMs, nonce })  the cookie's value,
//                                    v1.<expires_ms>.<nonce>.<email as hex>.<mac>
//   adminCsrf({ secret, tenant, nonce })  the session's CSRF token (kind "admin-csrf")
//   readAdminCookie(value)           { expiresMs, nonce, email, mac } of a value, or null
//   tamperMac(value)                 the value with one hex digit of its mac changed
//   COOKIE_NAME                      "__Host-salient_admin"

import { createHmac, randomBytes } from "node:crypto";

export const COOKIE_NAME = "__Host-salient_admin";

export function keyedHash(secret, kind, parts) {
  const hmac = createHmac("sha256", Buffer.from(secret, "utf8"));
  for (const part of ["salient-otp-v1", kind, ...parts]) {
    const bytes = Buffer.from(String(part), "utf8");
    hmac.update(`${bytes.length}:`);
    hmac.update(bytes);
  }
  return hmac.digest("hex");
}

const hexOf = (s) => Buffer.from(s, "utf8").toString("hex");

/** A new random nonce as the core makes one: 16 bytes, 32 hex digits. */
export const newNonce = () => randomBytes(16).toString("hex");

export function adminCookie({ secret, tenant, email, expiresMs, nonce = newNonce() }) {
  const expires = String(expiresMs);
  const emailHex = hexOf(email);
  const mac = keyedHash(secret, "admin-session", [tenant, expires, nonce, emailHex]);
  return `v1.${expires}.${nonce}.${emailHex}.${mac}`;
}

export const adminCsrf = ({ secret, tenant, nonce }) => keyedHash(secret, "admin-csrf", [tenant, nonce]);

export function readAdminCookie(value) {
  const parts = String(value).split(".");
  if (parts.length !== 5 || parts[0] !== "v1") return null;
  const [, expires, nonce, emailHex, mac] = parts;
  return { expiresMs: Number(expires), nonce, email: Buffer.from(emailHex, "hex").toString("utf8"), emailHex, mac };
}

export function tamperMac(value) {
  const at = value.length - 1 - 7; // a digit inside the mac (its last 64 characters)
  const digit = value[at];
  const changed = digit === "0" ? "1" : "0";
  return value.slice(0, at) + changed + value.slice(at + 1);
}
