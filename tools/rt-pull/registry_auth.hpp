// Registry authentication pieces that need no network: WWW-Authenticate
// challenges, base64, and credentials from the docker config file.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rt {

// One challenge of a WWW-Authenticate header: `Bearer realm="...",service="...",scope="..."`.
struct AuthChallenge {
  std::string scheme;                         // lower case: "bearer", "basic"
  std::map<std::string, std::string> params;  // keys lower case
};
std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

std::string base64_encode(std::string_view in);
// nullopt when `in` is not base64.
std::optional<std::string> base64_decode(std::string_view in);

struct RegistryCredentials {
  std::string username, password;
  std::string identity_token;  // an OAuth refresh token ("identitytoken")
  std::string source;          // the file it came from, for messages
};

// Credentials for a registry from $DOCKER_CONFIG/config.json or
// ~/.docker/config.json: its "auths" entry ("auth" = base64 user:password,
// or "username"/"password", or "identitytoken"). Keys may carry a scheme
// or a path ("https://index.docker.io/v1/"); docker.io matches Docker
// Hub's legacy keys. nullopt when there is none (credential helpers are not
// run). Throws rt::Error when the file exists but is not valid.
std::optional<RegistryCredentials> docker_config_credentials(const std::string& registry);

// The host:port part of an "auths" key.
std::string auth_key_host(std::string_view key);

}  // namespace rt
