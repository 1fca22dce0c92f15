#pragma once
// What the three admin sources (admin_pages.cpp, admin_lists.cpp, admin_downloads.cpp) share:
// reading the store's JSON defensively, formatting numbers, money and times, and the variables
// of the page frame. Internal to shared/render/.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json.h"
#include "render/template_engine.h"
#include "salient/render/admin_pages.h"

namespace salient::detail {

/// A string member, or "" when it is missing or not a string.
std::string str_of(const json& obj, std::string_view key);

/// An integer member (a whole float counts, Postgres may send 3.0), or `fallback`.
std::int64_t int_of(const json& obj, std::string_view key, std::int64_t fallback = 0);

/// A number member, or 0.
double num_of(const json& obj, std::string_view key);

/// The array member `key`, or an empty array.
const json& array_of(const json& obj, std::string_view key);

/// A time member in epoch ms as "YYYY-MM-DD HH:MM" UTC, or "" when missing or null.
std::string time_of(const json& obj, std::string_view key);

/// "$1.23"; amounts under a dollar keep up to four decimals ("$0.0042").
std::string money(double usd);

/// Percent-encodes everything but unreserved characters, for a query parameter's value.
std::string url_encode(std::string_view text);

/// The frame's variables (title, business name, nav with the active item, email, csrf), for
/// the admin_head and admin_foot partials, which are set too.
mstch::data frame_vars(const admin_frame& frame, const std::string& title);

/// A signed-out page's variables (no nav): title, business name, the partials.
mstch::data signed_out_vars(const std::string& business_name, const std::string& title);

/// Renders templates/<name> (HTML escaping).
std::string render_admin(std::string_view name, const mstch::data& vars);

/// A badge's data-variant (one of Basecoat's: primary, secondary, outline, destructive) for an
/// outcome, a lead, handoff or email status: never the value itself.
std::string badge_variant(std::string_view value);

/// The rows of a warnings table (time, level and its badge, module, event, fields as compact
/// JSON) from salient_admin_warnings' answer, at most `limit`.
mstch::list warning_rows(const json& warnings, std::size_t limit);

}  // namespace salient::detail
