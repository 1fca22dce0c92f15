// The operator's lists (render/admin_pages.h): the conversations, one conversation, the leads.
#include <string>
#include <utility>
#include <vector>

#include "render/admin_pages.h"
#include "render/admin_vars.h"
#include "render/lead_card_vars.h"
#include "salient/core/entropy.h"

namespace salient {

using namespace detail;

namespace {

constexpr const char* outcome_values[][2] = {{"", "Any outcome"},          {"LEAD", "Lead"},
                                             {"CALLBACK", "Callback"},    {"INFO_ONLY", "Information only"},
                                             {"SUPPORT", "Support"},      {"SPAM", "Spam"},
                                             {"none", "Not summarised"}, {"handoff", "Handed off"}};
constexpr const char* lead_statuses[][2] = {{"new", "New"}, {"contacted", "Contacted"}, {"won", "Won"}, {"lost", "Lost"}};

template <std::size_t N>
mstch::list options(const char* const (&values)[N][2], const std::string& selected) {
  mstch::list out;
  for (const auto& v : values)
    out.push_back(mstch::object{{"value", std::string(v[0])}, {"label", std::string(v[1])}, {"selected", selected == v[0]}});
  return out;
}

/// "/admin/conversations/<id>", or "" when the id is not uuid-shaped.
std::string conversation_href(const std::string& id) { return is_uuid(id) ? "/admin/conversations/" + id : ""; }

/// A badge: {has_x, x, x_variant}. The variant is one of a fixed few, never the value itself.
void set_badge(mstch::object& row, const std::string& key, const std::string& value) {
  row[key] = value;
  row["has_" + key] = !value.empty();
  row[key + "_variant"] = badge_variant(value);
}

std::string who_of(const json& row) {
  for (const char* key : {"name", "email", "company"}) {
    std::string v = trimmed(str_of(row, key));
    if (!v.empty()) return v;
  }
  return "Anonymous visitor";
}

/// A JSON value shown as text: strings as they are, times (members ending in _ms) as dates,
/// other values as compact JSON.
std::string text_of(const std::string& key, const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() && key.size() > 3 && key.ends_with("_ms")) {
    json holder{{"t", v}};
    return time_of(holder, "t");
  }
  return dump(v);
}

/// "reply_sent_ms" → "Reply sent": a column's name as a label.
std::string label_of(std::string key) {
  if (key.size() > 3 && key.ends_with("_ms")) key.resize(key.size() - 3);
  for (char& c : key)
    if (c == '_') c = ' ';
  if (!key.empty() && key[0] >= 'a' && key[0] <= 'z') key[0] = static_cast<char>(key[0] - 'a' + 'A');
  return key;
}

mstch::list citations_of(const json& message) {
  mstch::list out;
  for (const json& c : array_of(message, "citations")) {
    std::string url = str_of(c, "url"), title = trimmed(str_of(c, "title")), heading = str_of(c, "heading");
    bool link = email_link_ok(url);  // absolute http(s), no spaces or controls: never javascript:
    if (title.empty()) title = link ? url : "Untitled source";
    std::int64_t n = int_of(c, "n");
    bool numbered = n >= 1 && n <= 999;
    out.push_back(mstch::object{{"has_n", numbered},
                                {"n", numbered ? std::to_string(n) : std::string()},
                                {"has_link", link},
                                {"url", link ? url : std::string()},
                                {"title", title},
                                {"has_heading", !heading.empty()},
                                {"heading", heading}});
  }
  return out;
}

std::string role_label(const std::string& role) {
  if (role == "user") return "Visitor";
  if (role == "assistant") return "Assistant";
  if (role == "team") return "Team";
  return role.empty() ? "Unknown" : role;
}

std::string role_class(const std::string& role) {
  return role == "user" || role == "assistant" || role == "team" ? role : "other";
}

std::vector<std::string> strings_of(const json& obj, std::string_view key) {
  std::vector<std::string> out;
  for (const json& s : array_of(obj, key))
    if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

/// The lead card: the newest summary's lead (the last with one), with the profile filling gaps.
lead_view card_of(const json& d) {
  static const json none = json::object();
  const json* profile = member(d, "profile");
  const json* s = member(d, "session");
  const json& p = profile && profile->is_object() ? *profile : none;
  const json& session = s && s->is_object() ? *s : none;
  const json* lead = nullptr;
  for (const json& s : array_of(d, "summaries"))
    if (const json* l = member(s, "lead"); l && l->is_object()) lead = l;
  const json& l = lead ? *lead : none;
  auto pick = [](std::string a, std::string b) { return trimmed(a).empty() ? b : a; };
  lead_view v;
  v.name = pick(str_of(l, "name"), str_of(p, "customer_name"));
  v.email = pick(str_of(l, "email"), pick(str_of(p, "email"), str_of(session, "email")));
  v.phone = pick(str_of(l, "phone"), str_of(p, "phone"));
  v.company = pick(str_of(l, "company"), str_of(p, "company"));
  v.address = pick(str_of(l, "address"), str_of(p, "address"));
  v.preferred_time = pick(str_of(l, "preferred_time"), str_of(p, "preferred_time"));
  v.language = pick(str_of(l, "language"), str_of(p, "language"));
  v.outcome = str_of(l, "outcome");
  v.next_step = str_of(l, "next_step");
  v.summary = str_of(l, "summary");
  v.method = str_of(l, "method");
  v.evidence = strings_of(l, "evidence");
  v.needs = strings_of(l, "needs");
  v.interests = strings_of(l, "interests");
  v.email_verified = bool_member(session, "email_verified").value_or(false) && str_of(session, "email") == v.email;
  return v;
}

/// A table of one kind of record (summaries, emails, handoffs): every scalar member as a row of
/// label and value, in `keys` order first; ids are left out.
mstch::list records_of(const json& rows, std::initializer_list<std::pair<const char*, const char*>> keys) {
  mstch::list out;
  for (const json& r : rows) {
    if (!r.is_object()) continue;
    mstch::list fields;
    std::string status;
    for (auto [key, label] : keys) {
      const json* m = member(r, key);
      if (!m || m->is_null() || (m->is_string() && m->get_ref<const std::string&>().empty())) continue;
      fields.push_back(mstch::object{{"label", std::string(label)}, {"value", text_of(key, *m)}});
    }
    for (auto it = r.begin(); it != r.end(); ++it) {  // members the list above does not name
      bool named = it.key() == "id" || it.key() == "lead" || it.key() == "status";
      for (auto [key, label] : keys) named = named || it.key() == key;
      if (named || it.value().is_null() || it.value().is_structured()) continue;
      fields.push_back(mstch::object{{"label", label_of(it.key())}, {"value", text_of(it.key(), it.value())}});
    }
    mstch::object row{{"fields", fields}};
    set_badge(row, "status", str_of(r, "status"));
    out.push_back(row);
  }
  return out;
}

}  // namespace

namespace detail {

mstch::list warning_rows(const json& warnings, std::size_t limit) {
  mstch::list out;
  for (const json& w : array_of(warnings, "warnings")) {
    if (out.size() >= limit) break;
    std::string level = str_of(w, "level");
    const json* fields = member(w, "fields");
    bool has_fields = fields && fields->is_object() && !fields->empty();
    out.push_back(mstch::object{{"at", time_of(w, "ts_ms")},
                                {"level", level},
                                {"level_variant", std::string(level == "error" ? "destructive" : "outline")},
                                {"module", str_of(w, "module")},
                                {"event", str_of(w, "event")},
                                {"has_fields", has_fields},
                                {"fields", has_fields ? dump(*fields) : std::string()}});
  }
  return out;
}

}  // namespace detail

std::string render_admin_conversations(const admin_frame& frame, const json& list, const std::string& query,
                                       const std::string& outcome) {
  mstch::data vars = frame_vars(frame, "Conversations");
  vars.set("query", query);
  vars.set("outcomes", options(outcome_values, outcome));
  vars.set("filtered", !query.empty() || !outcome.empty());
  mstch::list rows;
  for (const json& c : array_of(list, "conversations")) {
    std::string href = conversation_href(str_of(c, "session_id"));
    mstch::object row{{"has_link", !href.empty()},
                      {"href", href},
                      {"last_activity", time_of(c, "last_activity_ms")},
                      {"started", time_of(c, "started_ms")},
                      {"who", who_of(c)},
                      {"email", str_of(c, "email")},
                      {"agent", str_of(c, "agent")},
                      {"first_message", cut(str_of(c, "first_message"), 200)},
                      {"has_email", !str_of(c, "email").empty() && str_of(c, "email") != who_of(c)},
                      {"messages", std::to_string(int_of(c, "message_count"))}};
    set_badge(row, "outcome", str_of(c, "outcome"));
    set_badge(row, "lead_status", str_of(c, "lead_status"));
    set_badge(row, "handoff", str_of(c, "handoff"));
    rows.push_back(row);
  }
  vars.set("has_rows", !rows.empty());
  vars.set("rows", rows);
  std::int64_t before = int_of(list, "next_before_ms", -1);
  vars.set("has_older", before >= 0);
  vars.set("older_href", "/admin/conversations?q=" + url_encode(query) + "&outcome=" + url_encode(outcome) +
                             "&before=" + std::to_string(before));
  return render_admin("admin_conversations.html.mustache", vars);
}

std::string render_admin_conversation(const admin_frame& frame, const json& d) {
  static const json none = json::object();
  const json* s = member(d, "session");
  const json& session = s && s->is_object() ? *s : none;
  std::string id = str_of(session, "session_id");
  mstch::data vars = frame_vars(frame, "Conversation");
  vars.set("session_id", id);
  vars.set("agent", str_of(session, "agent"));
  vars.set("started", time_of(session, "started_ms"));
  vars.set("last_activity", time_of(session, "last_activity_ms"));
  vars.set("email", str_of(session, "email"));
  vars.set("has_email", !str_of(session, "email").empty());
  vars.set("email_verified", bool_member(session, "email_verified").value_or(false));
  vars.set("key_hint", str_of(session, "session_key_hint"));

  mstch::list messages;
  for (const json& m : array_of(d, "messages")) {
    std::string role = str_of(m, "role");
    mstch::list citations = citations_of(m);
    messages.push_back(mstch::object{{"role_label", role_label(role)},
                                     {"role_class", role_class(role)},
                                     {"at", time_of(m, "created_ms")},
                                     {"content", str_of(m, "content")},
                                     {"has_citations", !citations.empty()},
                                     {"citations", citations}});
  }
  vars.set("has_messages", !messages.empty());
  vars.set("messages", messages);

  mstch::data card;
  set_lead_vars(card, card_of(d));
  vars.set("card", card);

  const json* l = member(d, "lead");
  const json& lead = l && l->is_object() ? *l : none;
  std::string status = str_of(lead, "status");
  vars.set("has_form", is_uuid(id));
  vars.set("form_action", "/admin/leads/" + id);
  vars.set("statuses", options(lead_statuses, status.empty() ? std::string("new") : status));
  vars.set("notes", str_of(lead, "notes"));
  std::string updated = time_of(lead, "updated_ms"), by = str_of(lead, "updated_by");
  vars.set("has_updated", !updated.empty());
  vars.set("updated", updated + (by.empty() ? "" : " by " + by));

  mstch::list summaries = records_of(array_of(d, "summaries"),
                                     {{"created_ms", "Created"}, {"outcome", "Outcome"}, {"trigger", "Trigger"},
                                      {"method", "Method"}, {"summary", "Summary"}});
  mstch::list emails = records_of(array_of(d, "emails"), {{"created_ms", "Created"}, {"kind", "Kind"}, {"to", "To"},
                                                          {"subject", "Subject"}, {"sent_ms", "Sent"}});
  mstch::list handoffs = records_of(array_of(d, "handoffs"), {{"created_ms", "Created"}});
  vars.set("has_summaries", !summaries.empty());
  vars.set("summaries", summaries);
  vars.set("has_emails", !emails.empty());
  vars.set("emails", emails);
  vars.set("has_handoffs", !handoffs.empty());
  vars.set("handoffs", handoffs);
  return render_admin("admin_conversation.html.mustache", vars);
}

std::string render_admin_leads(const admin_frame& frame, const json& leads, const std::string& status) {
  mstch::data vars = frame_vars(frame, "Leads");
  mstch::list filter = options(lead_statuses, status);
  filter.insert(filter.begin(), mstch::object{{"value", std::string()}, {"label", std::string("Any status")}, {"selected", status.empty()}});
  vars.set("filter", filter);
  vars.set("filtered", !status.empty());
  mstch::list rows;
  int n = 0;
  for (const json& r : array_of(leads, "leads")) {
    std::string id = str_of(r, "session_id"), st = str_of(r, "status");
    if (st.empty()) st = "new";
    mstch::object row{{"n", std::to_string(++n)},
                      {"has_link", is_uuid(id)},
                      {"href", conversation_href(id)},
                      {"action", is_uuid(id) ? "/admin/leads/" + id : std::string()},
                      {"who", who_of(r)},
                      {"company", str_of(r, "company")},
                      {"agent", str_of(r, "agent")},
                      {"email", str_of(r, "email")},
                      {"phone", str_of(r, "phone")},
                      {"summary", cut(str_of(r, "summary"), 300)},
                      {"last_activity", time_of(r, "last_activity_ms")},
                      {"notes", str_of(r, "notes")},
                      {"has_company", !str_of(r, "company").empty()},
                      {"has_email", !str_of(r, "email").empty()},
                      {"has_phone", !str_of(r, "phone").empty()},
                      {"has_summary", !str_of(r, "summary").empty()},
                      {"statuses", options(lead_statuses, st)}};
    set_badge(row, "outcome", str_of(r, "outcome"));
    set_badge(row, "status", st);
    rows.push_back(row);
  }
  vars.set("has_rows", !rows.empty());
  vars.set("rows", rows);
  return render_admin("admin_leads.html.mustache", vars);
}

}  // namespace salient
