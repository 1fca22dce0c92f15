#include "salient/core/multipart.h"

#include <array>
#include <cstdint>
#include <optional>

namespace salient {
namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::string_view line_breaks_and_nul("\r\n\0", 3);

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// RFC 2046's bcharsnospace.
bool is_bchar(char c) { return is_alnum(c) || std::string_view("'()+_,-./:=?").find(c) != std::string_view::npos; }

/// RFC 9110's tchar: the characters of a header name, a media type's parts, a parameter's name.
bool is_tchar(char c) { return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos; }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

/// 1 to 70 bchars or spaces, not ending in a space (RFC 2046 §5.1.1).
bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (char c : b)
    if (!is_bchar(c) && c != ' ') return false;
  return true;
}

struct parameter {
  std::string_view name;
  std::string_view value;
};

struct parameterised {
  std::string_view type;  ///< "multipart/form-data", "form-data"
  std::vector<parameter> params;
};

/// `type *( OWS ";" OWS name "=" ( token / quoted-string ) )`, a trailing ";" tolerated. A quoted
/// string ends at the next `"`: no escapes, as browsers write them. nullopt when malformed.
std::optional<parameterised> parse_parameters(std::string_view v) {
  v = trim(v);
  std::size_t i = 0;
  auto run = [&](bool slash) {
    std::size_t start = i;
    while (i < v.size() && (is_tchar(v[i]) || (slash && v[i] == '/'))) ++i;
    return v.substr(start, i - start);
  };
  auto skip_ows = [&] {
    while (i < v.size() && is_ows(v[i])) ++i;
  };
  parameterised out;
  out.type = run(true);
  if (out.type.empty()) return std::nullopt;
  for (;;) {
    skip_ows();
    if (i == v.size()) return out;
    if (v[i] != ';') return std::nullopt;
    ++i;
    skip_ows();
    if (i == v.size()) return out;
    parameter p;
    p.name = run(false);
    skip_ows();
    if (p.name.empty() || i == v.size() || v[i] != '=') return std::nullopt;
    ++i;
    skip_ows();
    if (i < v.size() && v[i] == '"') {
      std::size_t close = v.find('"', i + 1);
      if (close == std::string_view::npos) return std::nullopt;
      p.value = v.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      p.value = run(false);
      if (p.value.empty()) return std::nullopt;
    }
    out.params.push_back(p);
  }
}

error malformed(std::string message) { return make_error(errc::bad_request, std::move(message)); }

/// One part: its header lines, a blank line, its value.
result<form_part> parse_part(std::string_view content) {
  std::string_view headers;
  std::string_view value;
  if (content.starts_with(crlf)) {
    value = content.substr(crlf.size());
  } else {
    std::size_t blank = content.find("\r\n\r\n");
    if (blank == std::string_view::npos) return malformed("a part of the form has no blank line after its headers");
    headers = content.substr(0, blank);
    value = content.substr(blank + 4);
  }
  form_part part;
  bool seen_disposition = false, seen_type = false, seen_name = false, seen_filename = false;
  while (!headers.empty()) {
    std::size_t eol = headers.find(crlf);
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + crlf.size());
    if (line.find_first_of(line_breaks_and_nul) != std::string_view::npos)
      return malformed("a header of a form part holds CR, LF or NUL");
    if (line.empty() || is_ows(line.front())) return malformed("a header of a form part is folded or empty");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return malformed("a header line of a form part has no colon");
    std::string_view name = line.substr(0, colon);
    for (char c : name)
      if (!is_tchar(c)) return malformed("a header of a form part has an invalid name");
    if (name.empty()) return malformed("a header of a form part has an invalid name");
    std::string_view v = trim(line.substr(colon + 1));
    if (iequals(name, "content-disposition")) {
      if (seen_disposition) return malformed("a form part has two Content-Disposition headers");
      seen_disposition = true;
      auto d = parse_parameters(v);
      if (!d || !iequals(d->type, "form-data")) return malformed("a form part's Content-Disposition is not form-data");
      for (const parameter& p : d->params) {
        bool is_name = iequals(p.name, "name");
        bool is_filename = !is_name && iequals(p.name, "filename");
        if (!is_name && !is_filename) continue;  // filename* and the like: RFC 7578 §4.2 says not to send them
        bool& seen = is_name ? seen_name : seen_filename;
        if (seen) return malformed("a form part's Content-Disposition repeats a parameter");
        seen = true;
        (is_name ? part.name : part.filename) = std::string(p.value);
      }
    } else if (iequals(name, "content-type")) {
      if (seen_type) return malformed("a form part has two Content-Type headers");
      seen_type = true;
      part.content_type = std::string(v);
    }
    // Other headers (Content-Transfer-Encoding, …) are deprecated for form-data and ignored.
  }
  if (!seen_disposition) return malformed("a form part has no Content-Disposition");
  if (part.name.empty()) return malformed("a form part has no name");
  part.value = std::string(value);
  return part;
}

}  // namespace

std::string multipart_boundary(entropy& rng) {
  std::array<std::uint8_t, 16> bytes{};
  rng.fill(bytes);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "salient-";
  for (std::uint8_t b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 0xF];
  }
  return out;
}

result<std::string> encode_multipart(const std::vector<form_part>& parts, std::string_view boundary) {
  if (!valid_boundary(boundary)) return make_error(errc::internal, "not a valid multipart boundary");
  std::size_t size = boundary.size() + 8;
  for (const form_part& p : parts)
    size += boundary.size() + p.name.size() + p.filename.size() + p.content_type.size() + p.value.size() + 96;
  std::string out;
  out.reserve(size);
  for (const form_part& p : parts) {
    if (p.name.empty()) return make_error(errc::bad_request, "a form field has no name");
    if (p.name.find_first_of(std::string_view("\"\r\n\0", 4)) != std::string::npos)
      return make_error(errc::bad_request, "a form field's name holds a quote, CR, LF or NUL");
    if (p.filename.find_first_of(std::string_view("\"\r\n\0", 4)) != std::string::npos)
      return make_error(errc::bad_request, "a form field's file name holds a quote, CR, LF or NUL");
    if (p.content_type.find_first_of(line_breaks_and_nul) != std::string::npos)
      return make_error(errc::bad_request, "a form field's content type holds CR, LF or NUL");
    // A value holding the boundary could end its part early; the caller draws another boundary.
    if (p.value.find(boundary) != std::string::npos)
      return make_error(errc::internal, "the multipart boundary occurs in a value");
    out += "--";
    out += boundary;
    out += "\r\nContent-Disposition: form-data; name=\"";
    out += p.name;
    out += '"';
    if (!p.filename.empty()) {
      out += "; filename=\"";
      out += p.filename;
      out += '"';
    }
    out += crlf;
    if (!p.content_type.empty()) {
      out += "Content-Type: ";
      out += p.content_type;
      out += crlf;
    }
    out += crlf;
    out += p.value;
    out += crlf;
  }
  out += "--";
  out += boundary;
  out += "--\r\n";
  return out;
}

result<std::vector<form_part>> parse_multipart(std::string_view body, std::string_view content_type_header,
                                               std::size_t max_parts) {
  auto type = parse_parameters(content_type_header);
  if (!type) return malformed("the Content-Type of the form is malformed");
  if (!iequals(type->type, "multipart/form-data"))
    return make_error(errc::unsupported_media_type, "the body is not multipart/form-data");
  std::optional<std::string_view> boundary;
  for (const parameter& p : type->params) {
    if (!iequals(p.name, "boundary")) continue;
    if (boundary) return malformed("the Content-Type of the form has two boundaries");
    boundary = p.value;
  }
  if (!boundary) return malformed("the Content-Type of the form has no boundary");
  if (!valid_boundary(*boundary)) return malformed("the form's boundary is not a valid multipart boundary");

  const std::string delimiter = "\r\n--" + std::string(*boundary);
  const std::string_view dash_boundary = std::string_view(delimiter).substr(crlf.size());
  std::size_t pos = 0;
  if (body.starts_with(dash_boundary)) {
    pos = dash_boundary.size();
  } else {
    std::size_t at = body.find(delimiter);  // after a preamble
    if (at == std::string_view::npos) return malformed("the form has no opening delimiter");
    pos = at + delimiter.size();
  }
  std::vector<form_part> parts;
  // Each pass moves `pos` past one more delimiter, so the loop ends; each byte is searched once.
  for (;;) {
    std::string_view rest = body.substr(pos);
    if (rest.starts_with("--")) return parts;  // the close delimiter: what follows is the epilogue
    while (!rest.empty() && is_ows(rest.front())) rest.remove_prefix(1);  // transport padding
    if (rest.empty()) return malformed("the form ends without its final delimiter");
    if (!rest.starts_with(crlf)) return malformed("a delimiter of the form is followed by other text");
    rest.remove_prefix(crlf.size());
    std::size_t end = rest.find(delimiter);
    if (end == std::string_view::npos) return malformed("the form ends without its final delimiter");
    if (parts.size() == max_parts)
      return malformed("the form has more than " + std::to_string(max_parts) + " parts");
    auto part = parse_part(rest.substr(0, end));
    if (!part) return part.err();
    parts.push_back(std::move(*part));
    pos = body.size() - rest.size() + end + delimiter.size();
  }
}

}  // namespace salient
