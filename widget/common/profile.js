// What the widget and the full-page chat know of the visitor, per conversation, for the profile
// card and the "Verify your email" / "Your profile" button: from a live verification (the
// /otp/verify answer) and from each conversation's history (POST history's `profile`), so that a
// verification survives a reload and shows again when a past chat is switched to.
//
// The history is the server's word for its conversation: `verified: true` only when a one-time
// code proved the address; otherwise the address came from Salient.identify() and is never
// shown as verified. A history answer without a `profile` field (an older server) changes
// nothing.

const text = (v) => (typeof v === "string" ? v : "");
const list = (v) => (Array.isArray(v) ? v.filter((item) => typeof item === "string") : []);

/** A profile from the server, with only the fields the card shows (strings, string lists, and
 *  `verified` true only when the server said exactly true), or null when there is none. */
export function readProfile(value) {
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  return {
    customer_name: text(value.customer_name),
    email: text(value.email),
    phone: text(value.phone),
    products_of_interest: list(value.products_of_interest),
    services_of_interest: list(value.services_of_interest),
    verified: value.verified === true,
  };
}

/** The record of profiles by session key. */
export function profileBook() {
  const profiles = new Map(); // session key → readProfile(…) of that conversation
  let verifiedEmail = ""; // the address last proven here (live or in a history): prefills new forms

  return {
    /** The conversation's address was proven with a code. */
    isVerified: (key) => Boolean(profiles.get(key) && profiles.get(key).verified),
    /** The conversation's profile (verified or not), or null. */
    profileOf: (key) => profiles.get(key) || null,
    verifiedEmail: () => verifiedEmail,

    /**
     * A 200 from /otp/verify for `key`: it and the profile's other conversations are linked, and
     * `store` (the browser's session store) keeps them all, so "Past chats" lists them.
     */
    linked(key, result, store) {
      const profile = Object.assign(readProfile(result.profile) || {}, { verified: true });
      if (!profile.email) profile.email = result.email;
      verifiedEmail = profile.email;
      for (const k of [key].concat(result.sessionKeys)) profiles.set(k, profile);
      // Oldest first, so the conversation verified here ends up at the front of the list.
      for (const k of result.sessionKeys.slice().reverse()) store.keep(k);
      store.remember(key);
    },

    /** A history answer's JSON for `key`; returns whether it said anything about the profile. */
    loaded(key, json) {
      if (!json || typeof json !== "object" || !("profile" in json)) return false;
      const profile = readProfile(json.profile);
      if (!profile) profiles.delete(key); // e.g. erased on the privacy page since
      else profiles.set(key, profile);
      if (profile && profile.verified && profile.email) verifiedEmail = profile.email;
      return true;
    },
  };
}
