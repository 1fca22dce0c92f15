// to_json: the compiled configuration, every field of the tables (fields.cpp) in table order,
// then the offline answers, the personas and the agents. It is itself a valid configuration and
// reads back to the same config (config.test.cpp, the config fuzz target).
#include <string>

#include "config/fields.h"
#include "salient/config/config.h"

namespace salient {
namespace {

using ojson = nlohmann::ordered_json;
using detail::field;
using detail::field_kind;

std::string_view unit_key(log_unit u) {
  return u == log_unit::bytes ? "bytes" : u == log_unit::seconds ? "seconds" : "files";
}

template <class T>
void write_fields(ojson& out, std::span<const field<T>> fields, const T& value) {
  // The accessors hand out mutable references, for the reader; nothing here writes through them.
  T& owner = const_cast<T&>(value);
  for (const field<T>& f : fields) {
    ojson* node = &out;
    std::string_view key = f.key;
    for (std::size_t dot; (dot = key.find('.')) != std::string_view::npos; key.remove_prefix(dot + 1))
      node = &(*node)[std::string(key.substr(0, dot))];
    ojson& slot = (*node)[std::string(key)];
    detail::value_ptr p = detail::locate(f, owner);
    if (auto s = std::get_if<std::string*>(&p)) slot = **s;
    else if (auto i = std::get_if<int*>(&p)) slot = **i;
    else if (auto d = std::get_if<double*>(&p)) slot = **d;
    else if (auto b = std::get_if<bool*>(&p)) slot = **b;
    else if (auto list = std::get_if<std::vector<std::string>*>(&p)) slot = **list;
    else if (auto team = std::get_if<std::vector<team_member>*>(&p)) {
      slot = ojson::array();
      for (const team_member& m : **team) slot.push_back(ojson{{"email", m.email}, {"name", m.name}});
    }
    else if (auto l = std::get_if<log_limit*>(&p)) slot = ojson{{std::string(unit_key((*l)->unit)), (*l)->amount}};
    else if (auto llm = std::get_if<llm_settings*>(&p)) {
      slot = ojson::object();
      write_fields(slot, detail::llm_fields, **llm);
    }
  }
}

}  // namespace

std::string to_json(const config& c) {
  ojson j = ojson::object();
  write_fields(j, detail::config_fields, c);
  ojson& offline = j["offline"] = ojson::object();
  write_fields(offline, detail::offline_fields, c.offline);
  ojson& personas = j["personas"] = ojson::object();
  for (const persona_config& p : c.personas) {
    ojson& one = personas[p.code] = ojson::object();
    write_fields(one, detail::persona_fields, p);
  }
  ojson& agents = j["agents"] = ojson::object();
  for (const agent_config& a : c.agents) {
    ojson& one = agents[a.code] = ojson::object();
    write_fields(one, detail::agent_fields, a);
  }
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

}  // namespace salient
