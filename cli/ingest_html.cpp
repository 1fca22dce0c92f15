// HTML → document sections, with gumbo (ingest_builder.h): entities decoded, site chrome and
// hidden elements skipped, the title and url read from <head>.
#include <gumbo.h>

#include "ingest_builder.h"

namespace salient::cli::ingest_detail {
namespace {

const GumboAttribute* attribute(const GumboNode* node, const char* name) {
  return gumbo_get_attribute(&node->v.element.attributes, name);
}

std::string attribute_value(const GumboNode* node, const char* name) {
  const GumboAttribute* a = attribute(node, name);
  return a ? repair_utf8(a->value) : std::string();
}

bool skipped_tag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NAV: case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_HEADER: case GUMBO_TAG_ASIDE: case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_SVG: case GUMBO_TAG_HEAD:
      return true;
    default:
      return false;
  }
}

int heading_level(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_H1: return 1;
    case GUMBO_TAG_H2: return 2;
    case GUMBO_TAG_H3: return 3;
    case GUMBO_TAG_H4: return 4;
    case GUMBO_TAG_H5: return 5;
    case GUMBO_TAG_H6: return 6;
    default: return 0;
  }
}

/// Elements whose start and end end a block of text (the others are inline).
bool block_tag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_BODY:
    case GUMBO_TAG_CAPTION: case GUMBO_TAG_CENTER: case GUMBO_TAG_DD: case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIV: case GUMBO_TAG_DL: case GUMBO_TAG_DT:
    case GUMBO_TAG_FIELDSET: case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_FIGURE: case GUMBO_TAG_FORM:
    case GUMBO_TAG_HGROUP: case GUMBO_TAG_HR: case GUMBO_TAG_HTML: case GUMBO_TAG_LEGEND:
    case GUMBO_TAG_LI: case GUMBO_TAG_MAIN: case GUMBO_TAG_MENU: case GUMBO_TAG_OL: case GUMBO_TAG_P:
    case GUMBO_TAG_PRE: case GUMBO_TAG_SECTION: case GUMBO_TAG_SUMMARY: case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY: case GUMBO_TAG_TFOOT: case GUMBO_TAG_THEAD: case GUMBO_TAG_TR: case GUMBO_TAG_UL:
      return true;
    default:
      return false;
  }
}

bool has_token(std::string_view list, std::string_view token) {  // rel="canonical alternate"
  while (!list.empty()) {
    while (!list.empty() && is_space(list.front())) list.remove_prefix(1);
    std::size_t end = 0;
    while (end < list.size() && !is_space(list[end])) ++end;
    if (end > 0 && iequals(list.substr(0, end), token)) return true;
    list.remove_prefix(end);
  }
  return false;
}

std::string collapsed_text(const GumboNode* node) {  // <title>'s text
  std::string out;
  const GumboVector& children = node->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    const auto* child = static_cast<const GumboNode*>(children.data[i]);
    if (child->type == GUMBO_NODE_TEXT || child->type == GUMBO_NODE_WHITESPACE || child->type == GUMBO_NODE_CDATA)
      append_collapsed(out, repair_utf8(child->v.text.text));
  }
  return std::string(trim(out));
}

/// Walks gumbo's tree into `b` (iteratively: an HTML tree can be as deep as its input is long).
/// `meta` is null for an HTML fragment inside Markdown, whose <title>, <meta> and <link> say
/// nothing about the document.
class html_walker {
 public:
  html_walker(document_builder& b, html_meta* meta) : b_(b), meta_(meta) {}

  void walk(const GumboNode* root) {
    struct frame {
      const GumboNode* node;
      bool leaving;
    };
    std::vector<frame> stack{{root, false}};
    while (!stack.empty()) {
      frame f = stack.back();
      stack.pop_back();
      if (f.leaving) {
        leave(f.node);
        continue;
      }
      if (!enter(f.node)) continue;
      stack.push_back({f.node, true});
      const GumboVector& children =
          f.node->type == GUMBO_NODE_DOCUMENT ? f.node->v.document.children : f.node->v.element.children;
      for (unsigned i = children.length; i-- > 0;) stack.push_back({static_cast<const GumboNode*>(children.data[i]), false});
    }
  }

 private:
  block_kind kind() const { return rows_ > 0 ? block_kind::row : items_ > 0 ? block_kind::item : block_kind::other; }

  /// A block boundary: ends the open block, except inside a heading or a table row, whose
  /// text stays on one line.
  void boundary() {
    if (heading_ > 0 || rows_ > 0) b_.add(" ");
    else b_.end_block(kind(), pre_ > 0);
  }

  bool enter(const GumboNode* node) {
    switch (node->type) {
      case GUMBO_NODE_DOCUMENT:
        return true;
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_CDATA:
      case GUMBO_NODE_WHITESPACE:
        if (pre_ > 0) b_.add_verbatim(repair_utf8(node->v.text.text));
        else b_.add(repair_utf8(node->v.text.text));
        return false;
      case GUMBO_NODE_ELEMENT:
        break;
      default:  // comments, <template> contents
        return false;
    }
    GumboTag tag = node->v.element.tag;
    if (tag == GUMBO_TAG_HEAD && meta_) return true;  // for <title>, <meta>, <link>
    if (tag == GUMBO_TAG_TITLE || tag == GUMBO_TAG_META || tag == GUMBO_TAG_LINK) {
      if (meta_) read_meta(node);
      return false;
    }
    if (skipped_tag(tag) || attribute(node, "hidden")) return false;
    if (tag == GUMBO_TAG_BR) {
      if (heading_ > 0 || rows_ > 0) b_.add(" ");
      else b_.line_break();
      return false;
    }
    if (tag == GUMBO_TAG_IMG) return false;
    if (int level = heading_level(tag); level > 0) {
      if (heading_ == 0 && rows_ == 0) b_.end_block(kind(), pre_ > 0);
      else b_.add(" ");
      ++heading_;
      return true;
    }
    if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) {
      if (rows_ > 0 && !b_.block_empty()) b_.add(" | ");
      return true;
    }
    if (block_tag(tag)) boundary();
    if (tag == GUMBO_TAG_TR) ++rows_;
    if (tag == GUMBO_TAG_LI) ++items_;
    if (tag == GUMBO_TAG_PRE) ++pre_;
    return true;
  }

  void leave(const GumboNode* node) {
    if (node->type != GUMBO_NODE_ELEMENT) return;
    GumboTag tag = node->v.element.tag;
    if (tag == GUMBO_TAG_HEAD) return;
    if (int level = heading_level(tag); level > 0) {
      if (--heading_ == 0 && rows_ == 0) b_.end_heading(level, attribute_value(node, "id"));
      else b_.add(" ");
      return;
    }
    if (tag == GUMBO_TAG_TR) {
      if (--rows_ == 0 && heading_ == 0) b_.end_block(block_kind::row);
      else b_.add(" ");
      return;
    }
    if (block_tag(tag)) {
      bool was_pre = pre_ > 0;
      if (tag == GUMBO_TAG_PRE) --pre_;
      if (heading_ > 0 || rows_ > 0) b_.add(" ");
      else b_.end_block(tag == GUMBO_TAG_LI ? block_kind::item : kind(), was_pre);
    }
    if (tag == GUMBO_TAG_LI) --items_;
  }

  void read_meta(const GumboNode* node) {
    GumboTag tag = node->v.element.tag;
    if (tag == GUMBO_TAG_TITLE) {
      if (meta_->title.empty()) meta_->title = collapsed_text(node);
    } else if (tag == GUMBO_TAG_META) {
      if (meta_->url.empty() && iequals(attribute_value(node, "name"), "salient:url"))
        meta_->url = trim(std::string_view(attribute_value(node, "content")));
    } else if (meta_->canonical.empty() && has_token(attribute_value(node, "rel"), "canonical")) {
      meta_->canonical = trim(std::string_view(attribute_value(node, "href")));
    }
  }

  document_builder& b_;
  html_meta* meta_;
  int heading_ = 0, rows_ = 0, items_ = 0, pre_ = 0;
};

class gumbo_document {
 public:
  explicit gumbo_document(std::string_view html) : options_(kGumboDefaultOptions) {
    options_.max_errors = 0;  // the parse errors are not used
    output_ = gumbo_parse_with_options(&options_, html.data(), html.size());
  }
  ~gumbo_document() {
    if (output_) gumbo_destroy_output(&options_, output_);
  }
  gumbo_document(const gumbo_document&) = delete;
  gumbo_document& operator=(const gumbo_document&) = delete;

  const GumboNode* root() const { return output_ ? output_->document : nullptr; }

 private:
  GumboOptions options_;
  GumboOutput* output_ = nullptr;
};

}  // namespace

void walk_html(std::string_view html, document_builder& b, html_meta* meta) {
  gumbo_document doc(html);
  if (doc.root()) html_walker(b, meta).walk(doc.root());
}

// An entity alone parses as html > head, body > text.
std::string decode_entity(std::string_view entity) {
  gumbo_document doc(entity);
  std::string out;
  std::vector<const GumboNode*> stack;
  if (doc.root()) stack.push_back(doc.root());
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE) {
      out += node->v.text.text;
      continue;
    }
    const GumboVector* children = node->type == GUMBO_NODE_DOCUMENT ? &node->v.document.children
                                  : node->type == GUMBO_NODE_ELEMENT ? &node->v.element.children
                                                                     : nullptr;
    if (!children) continue;
    for (unsigned i = children->length; i-- > 0;) stack.push_back(static_cast<const GumboNode*>(children->data[i]));
  }
  return out.empty() ? std::string(entity) : repair_utf8(out);
}

}  // namespace salient::cli::ingest_detail
