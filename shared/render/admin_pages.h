#pragma once
// The operator's pages built from the store's JSON answers, and the downloads (issue 20). The
// public half (the frame, the signed-out pages, the time helper, and why the pages are
// built as they are) is salient/render/admin_pages.h, included here; this half is private to the
// core because it takes nlohmann::json, which public headers keep out.
//
// Every argument is an RPC's answer as the store sent it (docs/DATABASE.md, "admin"), read
// defensively: a missing member or one of the wrong type shows as empty, never as an error, and a
// session id that is not uuid-shaped gets no link. Sources: admin_pages.cpp (frame, dashboard,
// config, warnings, erase result), admin_lists.cpp (conversations, one conversation, leads),
// admin_downloads.cpp (CSV, YAML).
#include <string>
#include <utility>
#include <vector>

#include "core/json.h"
#include "salient/render/admin_pages.h"

namespace salient {

/// GET /admin/ signed in. `daily`: salient_admin_daily's answer ({"days":[…],"month_cost_usd"}),
/// drawn as two inline SVG charts (conversations, leads and handoffs per day; spend per day
/// against the monthly budget's daily share) with the same numbers in a table for screen
/// readers. budget_usd 0: no budget. `warnings`: salient_admin_warnings' answer (the first 10
/// are shown); `totals`: salient_admin_metrics' answer.
std::string render_admin_dashboard(const admin_frame& frame, const detail::json& daily, double budget_usd,
                                   const detail::json& warnings, const detail::json& totals);

/// GET /admin/conversations: the search form (GET; q and the outcome filter), the list from
/// salient_admin_conversations, and an "Older" link carrying q, outcome and before= when the
/// answer has next_before_ms.
std::string render_admin_conversations(const admin_frame& frame, const detail::json& list, const std::string& query,
                                       const std::string& outcome);

/// GET /admin/conversations/<id>: salient_admin_conversation's "found" answer. The transcript
/// shows every role (the team's handoff replies included) as plain text with its line breaks
/// (markdown is not rendered), each answer's citations as links when http(s); then the lead card
/// (profile and the newest summary's lead), the lead status form, summaries, emails and handoffs.
std::string render_admin_conversation(const admin_frame& frame, const detail::json& detail);

/// GET /admin/leads: the status filter, the link to /admin/leads.csv, a row per lead with its
/// own form (status, notes, csrf; POST /admin/leads/<session id>), and at the bottom the form to
/// erase a visitor's data (POST /admin/erase).
std::string render_admin_leads(const admin_frame& frame, const detail::json& leads, const std::string& status);

/// POST /admin/erase's result: what salient_admin_erase deleted for `email`.
std::string render_admin_erase_result(const admin_frame& frame, const std::string& email, const detail::json& erased);

/// GET /admin/config: the effective configuration as a table per section (dotted keys), the
/// secrets as "set" / "not set" only, and the link to /admin/config.yaml.
std::string render_admin_config(const admin_frame& frame, const detail::json& effective_config,
                                const std::vector<std::pair<std::string, bool>>& secrets);

/// GET /admin/warnings: salient_admin_warnings' answer, newest first.
std::string render_admin_warnings(const admin_frame& frame, const detail::json& warnings);

/// GET /admin/leads.csv: RFC 4180 (every field quoted, "" inside, CRLF after every record), a
/// header row first, times as "YYYY-MM-DD HH:MM" UTC. A cell starting with = + - @ TAB or CR gets
/// a leading ' so that a spreadsheet does not read it as a formula (CSV injection).
std::string admin_leads_csv(const detail::json& leads);

/// GET /admin/config.yaml: block-style YAML 1.2 of the effective configuration. Every string is
/// double-quoted with JSON's escapes (plus \uXXXX for DEL, C1 controls, U+2028/2029 and U+FEFF),
/// so no value can be read as another type, a comment or more structure; keys are plain only
/// when they cannot be read as anything but a string.
std::string admin_config_yaml(const detail::json& effective_config);

}  // namespace salient
