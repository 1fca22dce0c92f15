#pragma once
// The sources list shown under an answer, in the page and in the html event stream.
#include <string>

#include "core/json.h"

namespace salient {

/// The sources list under an answer (`<ol class="sources">`, escaped, each with its rank and
/// score in a <details>) from a citations array as citations_json makes it. Also given the
/// copies stored in messages.metadata, so read defensively: wrong types count as missing and
/// URLs are checked again.
std::string sources_list_html(const detail::json& citations);

}  // namespace salient
