// The operator's pages (render/admin_pages.h): the helpers the admin sources share
// (render/admin_vars.h), the frame, the signed-out pages, the dashboard, the warnings and the
// erase result. The lists are in admin_lists.cpp; the configuration page beside its YAML in
// admin_downloads.cpp.
#include "render/admin_pages.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>

#include "render/admin_vars.h"

namespace salient {

using namespace detail;

// ---- the shared helpers (render/admin_vars.h) ----

namespace detail {

std::string str_of(const json& obj, std::string_view key) { return std::string(string_member(obj, key).value_or("")); }

std::int64_t int_of(const json& obj, std::string_view key, std::int64_t fallback) {
  const json* m = member(obj, key);
  if (!m || !m->is_number()) return fallback;
  if (m->is_number_integer()) return m->get<std::int64_t>();
  double d = m->get<double>();
  return std::isfinite(d) && std::fabs(d) < 9e15 ? static_cast<std::int64_t>(std::llround(d)) : fallback;
}

double num_of(const json& obj, std::string_view key) {
  double d = number_member(obj, key).value_or(0);
  return std::isfinite(d) ? d : 0;
}

const json& array_of(const json& obj, std::string_view key) {
  static const json empty = json::array();
  const json* m = member(obj, key);
  return m && m->is_array() ? *m : empty;
}

std::string time_of(const json& obj, std::string_view key) {
  const json* m = member(obj, key);
  if (!m || !m->is_number()) return {};
  return admin_utc_minute(int_of(obj, key, -1));
}

std::string money(double usd) {
  if (!std::isfinite(usd)) usd = 0;
  char buf[48];
  double a = std::fabs(usd);
  std::snprintf(buf, sizeof buf, a > 0 && a < 1 ? "$%.4f" : "$%.2f", usd);
  std::string s = buf;
  if (a > 0 && a < 1) {  // "$0.4200" → "$0.42", never fewer than two decimals
    while (s.size() > s.find('.') + 3 && s.back() == '0') s.pop_back();
  }
  return s;
}

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out.push_back(ch);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

mstch::data signed_out_vars(const std::string& business_name, const std::string& title) {
  mstch::data vars;
  vars.set("business_name", business_name);
  vars.set("title", title);
  vars.set("signed_in", false);
  vars.set("admin_head", partial_of("admin_head.html.mustache"));
  vars.set("admin_foot", partial_of("admin_foot.html.mustache"));
  return vars;
}

mstch::data frame_vars(const admin_frame& frame, const std::string& title) {
  mstch::data vars = signed_out_vars(frame.business_name, title);
  vars.set("signed_in", true);
  vars.set("admin_email", frame.admin_email);
  vars.set("csrf", frame.csrf);
  mstch::list nav;
  for (auto [key, label, href] : {std::array<const char*, 3>{"dashboard", "Dashboard", "/admin/"},
                                  {"conversations", "Conversations", "/admin/conversations"},
                                  {"leads", "Leads", "/admin/leads"},
                                  {"config", "Configuration", "/admin/config"},
                                  {"warnings", "Warnings", "/admin/warnings"}})
    nav.push_back(mstch::object{{"href", std::string(href)}, {"label", std::string(label)}, {"current", frame.active == key}});
  vars.set("nav", nav);
  return vars;
}

std::string render_admin(std::string_view name, const mstch::data& vars) {
  std::string html = render_template(name, vars, escaping::html);
  while (html.ends_with("\n\n")) html.pop_back();  // the foot partial's line and the page's own
  return html;
}

std::string badge_variant(std::string_view v) {
  if (v == "error" || v == "SPAM" || v == "lost" || v == "failed" || v == "bounced") return "destructive";
  if (v == "LEAD" || v == "CALLBACK" || v == "new" || v == "open" || v == "won") return "primary";
  if (v == "warn" || v == "contacted" || v == "pending") return "outline";
  return "secondary";
}

}  // namespace detail

// ---- times ----

std::string admin_utc_minute(std::int64_t epoch_ms) {
  if (epoch_ms < 0 || epoch_ms > 253402300799999) return {};  // 9999-12-31 23:59:59.999
  std::int64_t minutes = epoch_ms / 60000;
  std::int64_t days = minutes / 1440, in_day = minutes % 1440;
  // Days since 1970-01-01 to a civil date (Howard Hinnant's days_from_civil, inverted).
  std::int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  std::int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d", static_cast<int>(y), static_cast<int>(m), static_cast<int>(d),
                static_cast<int>(in_day / 60), static_cast<int>(in_day % 60));
  return buf;
}

// ---- the signed-out pages ----

std::string render_admin_sign_in(const std::string& business_name, const std::string& error, bool configured) {
  mstch::data vars = signed_out_vars(business_name, "Sign in");
  vars.set("is_sign_in", true);
  vars.set("configured", configured);
  vars.set("has_error", !error.empty());
  vars.set("error", error);
  return render_admin("admin_sign_in.html.mustache", vars);
}

std::string render_admin_code_form(const std::string& business_name, const std::string& email, const std::string& error) {
  mstch::data vars = signed_out_vars(business_name, "Check your email");
  vars.set("email", email);
  vars.set("has_error", !error.empty());
  vars.set("error", error);
  return render_admin("admin_code.html.mustache", vars);
}

std::string render_admin_message(const std::string& business_name, const std::string& title, const std::string& text) {
  // The signed-out page's template in its third form: a title and a paragraph, no form.
  mstch::data vars = signed_out_vars(business_name, title);
  vars.set("is_message", true);
  vars.set("text", text);
  return render_admin("admin_sign_in.html.mustache", vars);
}

// ---- the dashboard ----

namespace {

constexpr double chart_w = 720, left = 44, right = 8, top = 10, bottom = 22;

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

/// The smallest of 1, 2, 5 × 10^k at or above `v` (at least `floor`): the chart's top line.
double nice_ceiling(double v, double floor) {
  if (!(v > floor)) return floor;
  double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= v) return m * p;
  return 10 * p;
}

int days_in_month_of(std::string_view day) {  // "YYYY-MM-DD"; 30 when it is not a date
  if (day.size() < 7) return 30;
  int y = 0, m = 0;
  for (char c : day.substr(0, 4)) y = c >= '0' && c <= '9' ? y * 10 + (c - '0') : -100000;
  for (char c : day.substr(5, 2)) m = c >= '0' && c <= '9' ? m * 10 + (c - '0') : -100;
  if (y < 0 || m < 1 || m > 12) return 30;
  static constexpr int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : len[m - 1];
}

struct series {
  const char* key;    // the day's member
  const char* kind;   // the bar's class
  const char* label;  // in its <title>
};

/// One chart: bars for each of `what` per day, side by side, scaled to their largest value;
/// `line_at` (when > 0) is drawn as a dashed reference line with `line_label`.
mstch::data chart(const json& days, std::initializer_list<series> what, double height, bool dollars, double line_at,
                  const std::string& line_label) {
  double max = 0;
  for (const json& d : days)
    for (const series& s : what) max = std::max(max, num_of(d, s.key));
  double top_value = nice_ceiling(std::max(max, line_at), dollars ? 0.01 : 1);
  double plot_w = chart_w - left - right, plot_h = height - top - bottom, n = static_cast<double>(days.size());
  double group = plot_w / std::max(n, 1.0), bar = group * 0.8 / static_cast<double>(what.size());
  auto y_of = [&](double v) { return top + plot_h - plot_h * std::clamp(v / top_value, 0.0, 1.0); };
  auto value_text = [&](double v) { return dollars ? money(v) : std::to_string(std::llround(v)); };

  mstch::list bars, ticks, grid;
  for (std::size_t i = 0; i < days.size(); ++i) {
    const json& d = days[i];
    std::string day = str_of(d, "day");
    double x = left + group * static_cast<double>(i) + group * 0.1;
    for (const series& s : what) {
      double v = num_of(d, s.key), y = y_of(v);
      bars.push_back(mstch::object{{"kind", std::string(s.kind)},
                                   {"x", fixed1(x)},
                                   {"y", fixed1(y)},
                                   {"w", fixed1(std::max(bar - 0.5, 0.5))},
                                   {"h", fixed1(top + plot_h - y)},
                                   {"tip", day + ": " + value_text(v) + " " + s.label}});
      x += bar;
    }
    // A date under the first and last day and about every seventh between them.
    std::size_t every = std::max<std::size_t>(1, (days.size() + 5) / 6);
    if (i == 0 || i + 1 == days.size() || (i % every == 0 && i + every / 2 < days.size()))
      ticks.push_back(mstch::object{{"x", fixed1(left + group * (static_cast<double>(i) + 0.5))},
                                    {"y", fixed1(height - 6)},
                                    {"text", day.size() == 10 ? day.substr(5) : day}});
  }
  for (double f : {0.0, 0.5, 1.0})
    grid.push_back(mstch::object{{"y", fixed1(y_of(top_value * f))},
                                 {"label_y", fixed1(y_of(top_value * f) + 4)},
                                 {"label", value_text(top_value * f)}});
  mstch::data c{mstch::object{}};
  c.set("w", fixed1(chart_w));
  c.set("h", fixed1(height));
  c.set("x0", fixed1(left));
  c.set("x1", fixed1(chart_w - right));
  c.set("bars", bars);
  c.set("ticks", ticks);
  c.set("grid", grid);
  c.set("has_line", line_at > 0);
  c.set("line_y", fixed1(y_of(line_at)));
  c.set("line_label", line_label);
  return c;
}

mstch::object stat(const std::string& label, const std::string& value, const std::string& note = {}) {
  return mstch::object{{"label", label}, {"value", value}, {"has_note", !note.empty()}, {"note", note}};
}

std::string count_list(const json& rows, std::string_view key) {  // "open 2 · closed 5"
  // Rows may repeat a key (emails come by kind and status): their counts add up, in first-seen order.
  std::vector<std::pair<std::string, long long>> sums;
  for (const json& r : rows) {
    std::string name = str_of(r, key);
    auto it = std::find_if(sums.begin(), sums.end(), [&](const auto& s) { return s.first == name; });
    if (it == sums.end()) sums.emplace_back(name, int_of(r, "count"));
    else it->second += int_of(r, "count");
  }
  std::string out;
  for (const auto& [name, count] : sums) out += (out.empty() ? "" : " · ") + name + " " + std::to_string(count);
  return out;
}

std::string latency(const json& totals, std::string_view key) {
  const json* m = member(totals, key);
  if (!m || int_of(*m, "count") <= 0 || !member(*m, "p50") || !(*m)["p50"].is_number()) return "–";
  return std::to_string(int_of(*m, "p50")) + " ms";
}

mstch::list stats_of(const json& totals, const json& daily) {
  std::int64_t handoffs = 0, emails = 0, requests = 0;
  double llm_cost = 0;
  for (const json& h : array_of(totals, "handoffs")) handoffs += int_of(h, "count");
  for (const json& e : array_of(totals, "emails")) emails += int_of(e, "count");
  for (const json& l : array_of(totals, "llm")) llm_cost += num_of(l, "cost_usd"), requests += int_of(l, "requests");
  const json* answer = member(totals, "answer_ms");
  std::string answer_note = answer && int_of(*answer, "count") > 0
                                ? "p90 " + std::to_string(int_of(*answer, "p90")) + " ms, last 24 h"
                                : "no answers in the last 24 h";
  mstch::list out;
  out.push_back(stat("Conversations", std::to_string(int_of(totals, "conversations")),
                     std::to_string(int_of(totals, "messages")) + " messages"));
  out.push_back(stat("Leads", std::to_string(int_of(totals, "leads"))));
  out.push_back(stat("Handoffs", std::to_string(handoffs), count_list(array_of(totals, "handoffs"), "status")));
  out.push_back(stat("Emails", std::to_string(emails), count_list(array_of(totals, "emails"), "status")));
  out.push_back(stat("Model spend", money(llm_cost), std::to_string(requests) + " requests, all time; this month " +
                                                         money(num_of(daily, "month_cost_usd"))));
  out.push_back(stat("Answer time (p50)", latency(totals, "answer_ms"), answer_note));
  out.push_back(stat("First token (p50)", latency(totals, "first_token_ms")));
  return out;
}

}  // namespace

std::string render_admin_dashboard(const admin_frame& frame, const json& daily, double budget_usd, const json& warnings,
                                   const json& totals) {
  mstch::data vars = frame_vars(frame, "Dashboard");
  const json& days = array_of(daily, "days");
  if (!std::isfinite(budget_usd) || budget_usd < 0) budget_usd = 0;
  vars.set("stats", stats_of(totals, daily));
  vars.set("has_days", !days.empty());
  vars.set("day_count", std::to_string(days.size()));
  std::string first = days.empty() ? "" : str_of(days.front(), "day"), last = days.empty() ? "" : str_of(days.back(), "day");
  vars.set("range", first + " to " + last);
  vars.set("activity", chart(days, {{"conversations", "conversations", "conversations"}, {"leads", "leads", "leads"},
                                    {"handoffs", "handoffs", "handoffs"}},
                             200, false, 0, ""));
  int month_days = days_in_month_of(last);
  double share = budget_usd > 0 ? budget_usd / month_days : 0;
  vars.set("spend", chart(days, {{"cost_usd", "spend", "spent"}}, 140, true, share,
                          "Monthly budget ÷ " + std::to_string(month_days) + " days: " + money(share) + " a day"));
  double month = num_of(daily, "month_cost_usd");
  vars.set("month_cost", money(month));
  vars.set("has_budget", budget_usd > 0);
  vars.set("budget", money(budget_usd));
  vars.set("budget_pct", budget_usd > 0 ? std::to_string(std::llround(100 * month / budget_usd)) + " %" : "");
  vars.set("over_budget", budget_usd > 0 && month > budget_usd);
  vars.set("meter_max", fixed1(budget_usd));
  vars.set("meter_high", fixed1(budget_usd * 0.8));
  vars.set("meter_value", fixed1(std::min(month, budget_usd)));
  mstch::list table;
  for (const json& d : days)
    table.push_back(mstch::object{{"day", str_of(d, "day")},
                                  {"conversations", std::to_string(int_of(d, "conversations"))},
                                  {"leads", std::to_string(int_of(d, "leads"))},
                                  {"handoffs", std::to_string(int_of(d, "handoffs"))},
                                  {"cost", money(num_of(d, "cost_usd"))}});
  vars.set("table", table);
  mstch::list rows = warning_rows(warnings, 10);
  vars.set("has_warnings", !rows.empty());
  vars.set("warnings", rows);
  return render_admin("admin_dashboard.html.mustache", vars);
}

std::string render_admin_warnings(const admin_frame& frame, const json& warnings) {
  mstch::data vars = frame_vars(frame, "Warnings");
  mstch::list rows = warning_rows(warnings, 1000);
  vars.set("has_rows", !rows.empty());
  vars.set("rows", rows);
  return render_admin("admin_warnings.html.mustache", vars);
}

std::string render_admin_erase_result(const admin_frame& frame, const std::string& email, const json& erased) {
  mstch::data vars = frame_vars(frame, "Data erased");
  vars.set("email", email);
  const json* e = member(erased, "erased");
  static const json none = json::object();
  const json& counts = e && e->is_object() ? *e : none;
  mstch::list lines;
  std::int64_t total = 0;
  for (auto [key, one, many] : {std::array<const char*, 3>{"sessions", "conversation", "conversations"},
                                {"messages", "message", "messages"},
                                {"summaries", "conversation summary", "conversation summaries"},
                                {"profiles", "visitor profile", "visitor profiles"},
                                {"emails", "email record", "email records"}}) {
    std::int64_t n = int_of(counts, key);
    total += n;
    lines.push_back(mstch::object{{"line", count_of(static_cast<long>(n), one, many)}});
  }
  vars.set("nothing", total == 0);
  vars.set("lines", lines);
  return render_admin("admin_erased.html.mustache", vars);
}

}  // namespace salient
