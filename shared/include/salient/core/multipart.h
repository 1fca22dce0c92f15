#pragma once
// multipart/form-data (RFC 7578 over RFC 2046): the body of Mailgun's send call, and of its
// inbound posts when a message has attachments.
//
// Names and filenames travel in quoted strings without escapes, as browsers send them (the
// WHATWG form encoder turns `"` into %22 and never escapes `\`): the encoder refuses a name
// or filename holding `"`, CR, LF or NUL rather than escaping it, and the parser reads a
// backslash as itself. So what encode_multipart writes, parse_multipart reads back exactly.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "salient/core/entropy.h"
#include "salient/core/result.h"

namespace salient {

/// One field of a form. `filename` and `content_type` are empty for plain fields.
struct form_part {
  std::string name;
  std::string value;
  std::string filename;
  std::string content_type;

  bool operator==(const form_part&) const = default;
};

/// A fresh boundary: "salient-" and 32 hex digits (128 bits) drawn from `rng`.
std::string multipart_boundary(entropy& rng);

/// The body for `Content-Type: multipart/form-data; boundary=<boundary>`.
/// bad_request for an empty name, a name or filename holding `"`, CR, LF or NUL, or a content
/// type holding CR, LF or NUL; internal when the boundary is not a valid RFC 2046 boundary
/// (1 to 70 of its characters) or occurs inside a value (draw another boundary).
/// Values are written as they are, CRLF and binary bytes included.
result<std::string> encode_multipart(const std::vector<form_part>& parts, std::string_view boundary);

/// The parts of a multipart/form-data body, in order. `content_type_header` is the request's
/// Content-Type value; its boundary parameter may be quoted. unsupported_media_type when the
/// media type is not multipart/form-data; bad_request when the body is malformed: no or an
/// invalid boundary, no opening or final delimiter, a part without a blank line after its
/// headers, a header line without a colon, a folded or duplicated header, a Content-Disposition
/// that is not form-data or has no name, CR, LF or NUL inside a header, more than `max_parts`
/// parts. The preamble and the epilogue are ignored. Linear in the body's size.
result<std::vector<form_part>> parse_multipart(std::string_view body, std::string_view content_type_header,
                                               std::size_t max_parts = 256);

}  // namespace salient
