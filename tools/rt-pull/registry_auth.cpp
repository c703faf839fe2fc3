#include "registry_auth.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdlib>

#include "error.hpp"
#include "fs.hpp"

namespace rt {

std::vector<AuthChallenge> parse_www_authenticate(std::string_view h) {
  // challenge = scheme [ param *( "," param ) ]; param = token "=" ( token | quoted-string )
  // Several challenges may share one header, separated by commas.
  std::vector<AuthChallenge> out;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t' || h[i] == ',')) ++i;
  };
  auto token = [&] {
    size_t s = i;
    while (i < h.size() && !std::isspace(static_cast<unsigned char>(h[i])) && h[i] != '=' && h[i] != ',') ++i;
    return std::string(h.substr(s, i - s));
  };
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  while (true) {
    skip_ws();
    if (i >= h.size()) break;
    AuthChallenge c;
    c.scheme = lower(token());
    if (c.scheme.empty()) break;
    for (;;) {
      while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
      size_t save = i;
      if (i < h.size() && h[i] == ',') ++i;
      while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
      size_t key_start = i;
      std::string key = token();
      while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
      if (key.empty() || i >= h.size() || h[i] != '=') {
        // Not a parameter: the start of the next challenge.
        i = key.empty() ? save : key_start;
        if (key.empty() && i < h.size() && h[i] == ',') ++i;
        break;
      }
      ++i;  // '='
      while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
      std::string value;
      if (i < h.size() && h[i] == '"') {
        ++i;
        while (i < h.size() && h[i] != '"') {
          if (h[i] == '\\' && i + 1 < h.size()) ++i;
          value.push_back(h[i++]);
        }
        if (i < h.size()) ++i;
      } else {
        size_t s = i;
        while (i < h.size() && h[i] != ',' && !std::isspace(static_cast<unsigned char>(h[i]))) ++i;
        value = std::string(h.substr(s, i - s));
      }
      c.params[lower(key)] = value;
      if (i >= h.size()) break;
    }
    out.push_back(std::move(c));
    if (i >= h.size()) break;
  }
  return out;
}

static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(kB64[(v >> k) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : in) {
    if (c == '=') {
      ++pad;
      continue;
    }
    if (c == '\n' || c == '\r' || c == ' ') continue;
    if (pad) return std::nullopt;
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (pad > 2) return std::nullopt;
  return out;
}

std::string auth_key_host(std::string_view key) {
  if (auto p = key.find("://"); p != std::string_view::npos) key = key.substr(p + 3);
  if (auto p = key.find('/'); p != std::string_view::npos) key = key.substr(0, p);
  return std::string(key);
}

std::optional<RegistryCredentials> docker_config_credentials(const std::string& registry) {
  std::string path;
  if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d) path = std::string(d) + "/config.json";
  else if (const char* home = std::getenv("HOME"); home && *home) path = std::string(home) + "/.docker/config.json";
  else return std::nullopt;
  auto text = try_read_file(path);
  if (!text) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) throw Error(str("cannot read credentials from ", path, ": not a JSON object"));
  if (!j.contains("auths") || !j["auths"].is_object()) return std::nullopt;
  auto wanted = [&](const std::string& host) {
    if (host == registry) return true;
    if (registry == "docker.io")
      return host == "index.docker.io" || host == "registry-1.docker.io" || host == "registry.hub.docker.com";
    return false;
  };
  for (auto it = j["auths"].begin(); it != j["auths"].end(); ++it) {
    if (!wanted(auth_key_host(it.key())) || !it.value().is_object()) continue;
    const auto& e = it.value();
    RegistryCredentials c;
    c.source = path;
    if (e.contains("auth") && e["auth"].is_string() && !e["auth"].get<std::string>().empty()) {
      auto dec = base64_decode(e["auth"].get<std::string>());
      auto colon = dec ? dec->find(':') : std::string::npos;
      if (!dec || colon == std::string::npos)
        throw Error(
            str("cannot read credentials for ", registry, " from ", path, ": \"auth\" is not base64 of user:password"));
      c.username = dec->substr(0, colon);
      c.password = dec->substr(colon + 1);
    }
    if (e.contains("username") && e["username"].is_string() && c.username.empty()) c.username = e["username"];
    if (e.contains("password") && e["password"].is_string() && c.password.empty()) c.password = e["password"];
    if (e.contains("identitytoken") && e["identitytoken"].is_string()) c.identity_token = e["identitytoken"];
    if (c.username.empty() && c.identity_token.empty()) continue;
    return c;
  }
  return std::nullopt;
}

}  // namespace rt
