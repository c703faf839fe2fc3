#include "image_ref.hpp"

#include <cctype>

#include "error.hpp"

namespace rt {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    // A separator: ".", "_", "__" or one or more "-".
    size_t j = i;
    if (c[i] == '.') j = i + 1;
    else if (c[i] == '_') j = (i + 1 < c.size() && c[i + 1] == '_') ? i + 2 : i + 1;
    else if (c[i] == '-') {
      while (j < c.size() && c[j] == '-') ++j;
    } else {
      return false;
    }
    if (j >= c.size() || !is_lower_alnum(c[j])) return false;
    i = j;
  }
  return true;
}

// host[:port] where host is a DNS name or an IPv6 address in brackets.
bool valid_domain(std::string_view d) {
  if (d.empty()) return false;
  std::string_view host = d, port;
  if (d.front() == '[') {
    auto close = d.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    for (char c : d.substr(1, close - 1))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    std::string_view rest = d.substr(close + 1);
    if (rest.empty()) return true;
    if (rest.front() != ':') return false;
    port = rest.substr(1);
    host = {};
  } else if (auto colon = d.rfind(':'); colon != std::string_view::npos) {
    host = d.substr(0, colon);
    port = d.substr(colon + 1);
    if (port.empty()) return false;
  }
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  if (port.size() > 5) return false;
  if (d.front() == '[') return true;
  // Labels of [A-Za-z0-9-], not starting or ending with '-', separated by dots.
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(t.front())) return false;
  for (char c : t)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

[[noreturn]] void bad(std::string_view s, std::string_view why) {
  throw Error(str("invalid reference '", s, "': ", why));
}

}  // namespace

bool is_sha256_digest(std::string_view s) {
  if (s.size() != 71 || s.substr(0, 7) != "sha256:") return false;
  for (char c : s.substr(7))
    if (!is_hex(c)) return false;
  return true;
}

bool is_loopback_registry(std::string_view r) {
  std::string_view host = r;
  if (!r.empty() && r.front() == '[') {
    auto close = r.find(']');
    host = r.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
    return host == "::1";
  }
  if (auto colon = r.rfind(':'); colon != std::string_view::npos) host = r.substr(0, colon);
  if (host == "localhost") return true;
  // 127.a.b.c
  if (host.substr(0, 4) != "127.") return false;
  int parts = 0, digits = 0;
  for (char c : host) {
    if (c == '.') {
      if (digits == 0) return false;
      ++parts;
      digits = 0;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return parts == 3 && digits > 0;
}

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

// The first component of a name is a registry when it looks like a host: it
// has a '.' or a ':', is "localhost", starts with '[' or has upper-case
// letters (docker's rule).
static bool looks_like_host(std::string_view head) {
  bool upper = false;
  for (char c : head) upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
  return head.find_first_of(".:") != std::string_view::npos || head == "localhost" || upper ||
         (!head.empty() && head.front() == '[');
}

std::string Reference::familiar() const {
  std::string n = repository;
  if (registry == "docker.io") {
    if (n.compare(0, 8, "library/") == 0 && n.find('/', 8) == std::string::npos) n = n.substr(8);
    // docker.io/a.b/c: without the registry, a.b would be read as one
    // (found by make fuzz: the name rt-repl completes must name the same image)
    auto slash = n.find('/');
    if (slash != std::string::npos && looks_like_host(std::string_view(n).substr(0, slash))) n = "docker.io/" + n;
  } else {
    n = registry + "/" + n;
  }
  if (!tag.empty()) n += ":" + tag;
  if (!digest.empty()) n += "@" + digest;
  return n;
}

Reference parse_reference(std::string_view s) {
  if (s.empty()) bad(s, "empty");
  if (s.size() > 512) bad(s.substr(0, 64), "too long");
  for (char c : s)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      bad(s, "contains white space or control characters");
  Reference r;
  std::string_view rest = s;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string_view d = rest.substr(at + 1);
    rest = rest.substr(0, at);
    auto colon = d.find(':');
    if (colon == std::string_view::npos) bad(s, "a digest is ALGORITHM:HEX, e.g. sha256:<64 hex digits>");
    if (d.substr(0, colon) != "sha256")
      bad(s, str("unsupported digest algorithm '", d.substr(0, colon), "' (only sha256)"));
    if (!is_sha256_digest(d)) bad(s, "a sha256 digest has 64 lowercase hex digits");
    r.digest = std::string(d);
  }
  // A tag is after the last ':' that follows the last '/'.
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view t = rest.substr(colon + 1);
    if (!valid_tag(t))
      bad(s, str("invalid tag '", t, "' (letters, digits, _ . -, at most 128, not starting with . or -)"));
    r.tag = std::string(t);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) bad(s, "no repository name");
  std::string_view path = rest;
  auto first = rest.find('/');
  if (first != std::string_view::npos) {
    std::string_view head = rest.substr(0, first);
    if (looks_like_host(head)) {
      if (!valid_domain(head)) bad(s, str("invalid registry '", head, "'"));
      r.registry = std::string(head);
      path = rest.substr(first + 1);
    }
  }
  if (r.registry.empty() || r.registry == "index.docker.io" || r.registry == "registry-1.docker.io")
    r.registry = "docker.io";
  if (path.empty()) bad(s, "no repository name");
  size_t start = 0;
  for (;;) {
    size_t end = path.find('/', start);
    std::string_view comp = path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!valid_component(comp)) {
      for (char c : comp)
        if (std::isupper(static_cast<unsigned char>(c))) bad(s, "repository name must be lowercase");
      bad(s, str("invalid repository name component '", comp,
                 "' (lowercase letters and digits, separated by '.', '_', '__' or '-')"));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  r.repository = std::string(path);
  if (r.registry == "docker.io" && r.repository.find('/') == std::string::npos)
    r.repository = "library/" + r.repository;
  if (r.name().size() > 255) bad(s, "repository name longer than 255 characters");
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

std::string normalize_reference(std::string_view s) { return parse_reference(s).str(); }

}  // namespace rt
