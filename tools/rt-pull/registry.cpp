#include "registry.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <list>
#include <map>
#include <thread>

#include "error.hpp"
#include "image_digest.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "registry_auth.hpp"

namespace rt {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

constexpr const char* kAcceptManifests =
    "Accept: application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";
constexpr uint64_t kMaxManifest = 4u << 20;  // docker's limit
constexpr int kMaxAttempts = 5;
constexpr int kMaxRedirects = 8;

void curl_global() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!ok) throw Error("cannot initialise libcurl");
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// scheme://host:port of a URL ("" when it cannot be parsed).
std::string origin_of(const std::string& url) {
  CURLU* u = curl_url();
  if (!u) return "";
  std::string out;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char *scheme = nullptr, *host = nullptr, *port = nullptr;
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    if (scheme && host) out = lower(str(scheme, "://", host, ":", port ? port : ""));
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(u);
  return out;
}

std::string host_of(const std::string& url) {
  auto p = url.find("://");
  std::string rest = p == std::string::npos ? url : url.substr(p + 3);
  return rest.substr(0, rest.find('/'));
}

// What the registry said in its error document, if anything.
std::string registry_error_text(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("errors") || !j["errors"].is_array() || j["errors"].empty()) return "";
  std::string out;
  for (const auto& e : j["errors"]) {
    if (!e.is_object()) continue;
    std::string code = e.value("code", ""), msg = e.value("message", "");
    if (!out.empty()) out += "; ";
    out += code.empty() ? msg : (msg.empty() ? code : code + ": " + msg);
  }
  return out;
}

std::string http_reason(long status) {
  switch (status) {
    case 400: return "400 Bad Request";
    case 401: return "401 Unauthorized";
    case 403: return "403 Forbidden";
    case 404: return "404 Not Found";
    case 405: return "405 Method Not Allowed";
    case 416: return "416 Range Not Satisfiable";
    case 429: return "429 Too Many Requests";
    case 500: return "500 Internal Server Error";
    case 502: return "502 Bad Gateway";
    case 503: return "503 Service Unavailable";
    case 504: return "504 Gateway Timeout";
    default: return std::to_string(status);
  }
}

bool retryable_status(long s) { return s == 429 || s == 408 || (s >= 500 && s <= 599 && s != 501 && s != 505); }

bool retryable_curl(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_COULDNT_RESOLVE_HOST: return true;
    default: return false;
  }
}

// Seconds from a Retry-After header (delta seconds or an HTTP date); -1 if none.
long retry_after_seconds(const std::map<std::string, std::string>& h) {
  auto it = h.find("retry-after");
  if (it == h.end() || it->second.empty()) return -1;
  const std::string& v = it->second;
  if (std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::strtol(v.c_str(), nullptr, 10);
  time_t t = curl_getdate(v.c_str(), nullptr);
  if (t < 0) return -1;
  long d = static_cast<long>(t - std::time(nullptr));
  return d < 0 ? 0 : d;
}

std::string utc_time(time_t t) {
  char buf[64];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

struct Xfer {
  // request
  std::string url;
  bool head = false;
  bool send_auth = true;
  std::vector<std::string> headers;
  uint64_t max_body = 0;
  // blob streaming
  bool blob = false;
  std::string digest;
  uint64_t from = 0;       // resume offset of this attempt
  uint64_t delivered = 0;  // bytes given to on_data in this attempt
  uint64_t skip = 0;       // bytes of a 200 to drop (the server ignored Range)
  bool body_to_sink = false;
  bool sink_refused = false;
  RegistryClient::DataFn on_data;
  RegistryClient::DoneFn on_done;
  int attempts = 0;
  int redirects = 0;
  Clock::time_point retry_at{};
  bool scheduled = false;
  bool need_token = false;
  // response
  CURL* h = nullptr;
  curl_slist* slist = nullptr;
  long status = 0;
  std::map<std::string, std::string> resp_headers;
  std::string body;
  bool done = false;
  CURLcode result = CURLE_OK;
  char errbuf[CURL_ERROR_SIZE] = {};

  ~Xfer() {
    if (h) curl_easy_cleanup(h);
    if (slist) curl_slist_free_all(slist);
  }
};

size_t on_header(char* p, size_t sz, size_t n, void* ud) {
  auto* x = static_cast<Xfer*>(ud);
  size_t len = sz * n;
  std::string_view line(p, len);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    x->resp_headers.clear();
    auto sp = line.find(' ');
    x->status =
        sp == std::string_view::npos ? 0 : std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string key = lower(std::string(line.substr(0, colon)));
  std::string_view v = line.substr(colon + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  auto& slot = x->resp_headers[key];
  slot = slot.empty() ? std::string(v) : slot + ", " + std::string(v);
  return len;
}

size_t on_body(char* p, size_t sz, size_t n, void* ud) {
  auto* x = static_cast<Xfer*>(ud);
  size_t len = sz * n;
  if (x->blob && !x->body_to_sink && !x->sink_refused && (x->status == 200 || x->status == 206) && x->body.empty()) {
    x->body_to_sink = true;
    if (x->status == 200) x->skip = x->from;  // Range ignored: drop what we have
    if (x->status == 206) {
      // "bytes START-END/TOTAL" must start where we asked.
      auto it = x->resp_headers.find("content-range");
      uint64_t start = 0;
      if (it != x->resp_headers.end()) {
        auto pos = it->second.find("bytes ");
        if (pos != std::string::npos) start = std::strtoull(it->second.c_str() + pos + 6, nullptr, 10);
      }
      if (start != x->from) {
        x->body_to_sink = false;
        x->sink_refused = true;
        x->body = str("the registry answered a request for bytes from ", x->from, " with bytes from ", start);
        return 0;
      }
    }
  }
  if (x->body_to_sink) {
    size_t off = 0;
    if (x->skip) {
      size_t k = static_cast<size_t>(std::min<uint64_t>(x->skip, len));
      x->skip -= k;
      off = k;
    }
    if (off < len) {
      if (!x->on_data(p + off, len - off)) {
        x->sink_refused = true;
        return 0;
      }
      x->delivered += len - off;
    }
    return len;
  }
  // Small responses (and error documents of blob requests) are kept.
  uint64_t cap = x->blob ? 65536 : x->max_body;
  if (x->body.size() + len > cap) {
    if (x->blob) return len;  // an error page: the start is enough
    x->body = str("response larger than ", cap, " bytes");
    x->status = -1;
    return 0;
  }
  x->body.append(p, len);
  return len;
}

}  // namespace

struct RegistryClient::Impl {
  Reference ref;
  RegistryOptions opt;
  std::string host;    // what we connect to ("registry-1.docker.io" for docker.io)
  std::string scheme;  // "https" or "http"
  bool scheme_settled = false;
  CURLM* multi = nullptr;
  std::list<std::unique_ptr<Xfer>> xfers;    // live transfers (blocking and blob)
  std::list<std::unique_ptr<Xfer>> waiting;  // blob transfers waiting to retry
  // auth
  std::string auth_scheme;  // "", "bearer", "basic"
  std::string realm, service, scope;
  std::map<std::string, std::pair<std::string, Clock::time_point>> tokens;  // scope key -> token, expiry
  bool creds_loaded = false;
  std::optional<RegistryCredentials> creds;
  uint64_t n_requests = 0, n_tokens = 0;
  std::string endpoint;

  Impl(const Reference& r, RegistryOptions o) : ref(r), opt(std::move(o)) {
    curl_global();
    host = ref.registry == "docker.io" ? "registry-1.docker.io" : ref.registry;
    bool loopback = is_loopback_registry(ref.registry);
    scheme = loopback && !opt.insecure ? "http" : "https";
    scheme_settled = !opt.insecure;
    multi = curl_multi_init();
    if (!multi) throw Error("cannot initialise libcurl (multi)");
    endpoint = scheme + "://" + host;
  }
  ~Impl() {
    for (auto& x : xfers)
      if (x->h) curl_multi_remove_handle(multi, x->h);
    xfers.clear();
    waiting.clear();
    curl_multi_cleanup(multi);
  }

  std::string base() const { return scheme + "://" + host + "/v2/" + ref.repository; }

  const std::optional<RegistryCredentials>& credentials() {
    if (!creds_loaded) {
      creds_loaded = true;
      creds = docker_config_credentials(ref.registry);
      if (creds) log::debug("using credentials for ", ref.registry, " from ", creds->source);
    }
    return creds;
  }

  std::string token_key() const { return realm + "|" + service + "|" + scope; }

  // The Authorization header for the registry, or "".
  std::string auth_header() {
    if (auth_scheme == "basic") {
      auto& c = credentials();
      if (c) return "Authorization: Basic " + base64_encode(c->username + ":" + c->password);
    } else if (auth_scheme == "bearer") {
      auto it = tokens.find(token_key());
      if (it != tokens.end() && Clock::now() < it->second.second) return "Authorization: Bearer " + it->second.first;
    }
    return "";
  }
  bool have_valid_auth() {
    if (auth_scheme == "basic") return true;
    if (auth_scheme != "bearer") return false;
    auto it = tokens.find(token_key());
    return it != tokens.end() && Clock::now() < it->second.second;
  }

  void setup(Xfer& x) {
    x.h = curl_easy_init();
    if (!x.h) throw Error("cannot initialise libcurl (easy)");
    CURL* h = x.h;
    curl_easy_setopt(h, CURLOPT_URL, x.url.c_str());
    curl_easy_setopt(h, CURLOPT_PRIVATE, &x);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x.errbuf);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, opt.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);  // a stalled transfer ends after a minute
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
    if (x.head) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (opt.insecure && origin_of(x.url) == origin_of(endpoint + "/")) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (x.blob && x.from > 0) curl_easy_setopt(h, CURLOPT_RANGE, str(x.from, "-").c_str());
    for (const auto& hd : x.headers) x.slist = curl_slist_append(x.slist, hd.c_str());
    if (x.send_auth) {
      std::string a = auth_header();
      if (!a.empty()) x.slist = curl_slist_append(x.slist, a.c_str());
    }
    if (x.slist) curl_easy_setopt(h, CURLOPT_HTTPHEADER, x.slist);
  }

  void reset_response(Xfer& x) {
    if (x.h) {
      curl_multi_remove_handle(multi, x.h);
      curl_easy_cleanup(x.h);
      x.h = nullptr;
    }
    if (x.slist) curl_slist_free_all(x.slist);
    x.slist = nullptr;
    x.status = 0;
    x.resp_headers.clear();
    x.body.clear();
    x.done = false;
    x.result = CURLE_OK;
    x.errbuf[0] = 0;
    x.body_to_sink = false;
    x.sink_refused = false;
    x.skip = 0;
    x.delivered = 0;
  }

  void add(Xfer& x) {
    setup(x);
    ++n_requests;
    log::debug(x.head ? "HEAD " : "GET ", x.url, x.from ? str(" (from byte ", x.from, ")") : "");
    if (curl_multi_add_handle(multi, x.h) != CURLM_OK) throw Error("cannot start a transfer (libcurl)");
  }

  // Run the multi once; handle what finished. Blocking requests are only
  // marked done; blob transfers are finished or rescheduled.
  void step(int timeout_ms) {
    int running = 0;
    curl_multi_perform(multi, &running);
    int numfds = 0;
    curl_multi_poll(multi, nullptr, 0, timeout_ms, &numfds);
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Xfer* x = nullptr;
      curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &x);
      x->result = m->data.result;
      x->done = true;
      curl_multi_remove_handle(multi, m->easy_handle);
      if (x->blob) blob_done(x);
    }
  }

  std::unique_ptr<Xfer> take(Xfer* x) {
    for (auto it = xfers.begin(); it != xfers.end(); ++it)
      if (it->get() == x) {
        auto p = std::move(*it);
        xfers.erase(it);
        return p;
      }
    return nullptr;
  }

  // What went wrong, for messages.
  std::string failure_text(const Xfer& x) const {
    if (x.result != CURLE_OK) {
      std::string why = x.errbuf[0] ? x.errbuf : curl_easy_strerror(x.result);
      return str("cannot reach ", host_of(x.url), ": ", why);
    }
    std::string what = registry_error_text(x.body);
    return str("HTTP ", http_reason(x.status), what.empty() ? "" : " (" + what + ")");
  }

  Clock::duration backoff(const Xfer& x, int attempt) const {
    long ra = retry_after_seconds(x.resp_headers);
    if (ra >= 0) return std::chrono::seconds(std::min(ra, 60L));
    return std::chrono::milliseconds(250 << std::min(attempt, 6));
  }

  void blob_done(Xfer* x) {
    auto owned = take(x);
    if (!owned) return;
    Xfer& b = *owned;
    auto finish = [&](const std::string& err) {
      auto cb = std::move(b.on_done);
      if (cb) cb(err);
    };
    if (b.sink_refused) {
      finish(b.body.empty() ? "the download was refused by the store" : b.body);
      return;
    }
    uint64_t progressed = b.delivered;
    b.from += b.delivered;
    if (b.result == CURLE_OK && (b.status == 200 || b.status == 206)) {
      finish("");
      return;
    }
    if (b.result == CURLE_OK && b.status == 416) {
      // Nothing left to send: what we have is the whole blob (verified later).
      finish("");
      return;
    }
    if (b.result == CURLE_OK && b.status >= 300 && b.status < 400) {
      char* loc = nullptr;
      curl_easy_getinfo(b.h, CURLINFO_REDIRECT_URL, &loc);
      if (!loc || ++b.redirects > kMaxRedirects) {
        finish(str("blob ", b.digest, ": bad redirect (HTTP ", b.status, ")"));
        return;
      }
      std::string next = loc;
      if (origin_of(next) != origin_of(b.url)) b.send_auth = false;  // never to another host
      log::debug("blob ", b.digest.substr(0, 19), " redirected to ", origin_of(next),
                 b.send_auth ? "" : " (without the registry's credentials)");
      b.url = next;
      reschedule(std::move(owned), Clock::now());
      return;
    }
    if (b.result == CURLE_OK && b.status == 401 && b.send_auth && b.attempts < kMaxAttempts) {
      // The token expired during the pull, or was never asked for.
      ++b.attempts;
      b.need_token = true;
      update_challenge(b.resp_headers);
      tokens.erase(token_key());
      reschedule(std::move(owned), Clock::now());
      return;
    }
    bool retry = b.result != CURLE_OK ? retryable_curl(b.result) : retryable_status(b.status);
    if (progressed > 0) b.attempts = 0;  // it moved: keep going
    if (retry && b.attempts < kMaxAttempts) {
      auto wait = backoff(b, b.attempts++);
      log::debug("blob ", b.digest.substr(0, 19), ": ", failure_text(b), "; retrying from byte ", b.from);
      reschedule(std::move(owned), Clock::now() + wait);
      return;
    }
    if (b.result == CURLE_OK && b.status == 404) {
      finish(str("blob ", b.digest, " not found in ", ref.name()));
      return;
    }
    if (b.result == CURLE_OK && (b.status == 401 || b.status == 403)) {
      finish(str("blob ", b.digest, ": access denied (", failure_text(b), ")"));
      return;
    }
    finish(str("blob ", b.digest, ": ", failure_text(b)));
  }

  void reschedule(std::unique_ptr<Xfer> x, Clock::time_point at) {
    x->retry_at = at;
    x->scheduled = true;
    waiting.push_back(std::move(x));
  }

  void start_due() {
    auto now = Clock::now();
    for (auto it = waiting.begin(); it != waiting.end();) {
      if ((*it)->retry_at > now) {
        ++it;
        continue;
      }
      auto x = std::move(*it);
      it = waiting.erase(it);
      if (x->need_token) {
        x->need_token = false;
        try {
          authenticate();
        } catch (const Error& e) {
          auto cb = std::move(x->on_done);
          if (cb) cb(e.what());
          continue;
        }
      }
      reset_response(*x);
      xfers.push_back(std::move(x));
      try {
        add(*xfers.back());
      } catch (const Error& e) {
        auto owned = std::move(xfers.back());
        xfers.pop_back();
        if (owned->on_done) owned->on_done(e.what());
      }
    }
  }

  // Run one request to completion (other transfers progress meanwhile).
  std::unique_ptr<Xfer> perform(std::unique_ptr<Xfer> x) {
    xfers.push_back(std::move(x));
    Xfer* p = xfers.back().get();
    add(*p);
    while (!p->done) step(100);
    return take(p);
  }

  void update_challenge(const std::map<std::string, std::string>& headers) {
    auto it = headers.find("www-authenticate");
    if (it == headers.end()) return;
    for (const auto& c : parse_www_authenticate(it->second)) {
      if (c.scheme == "bearer") {
        auth_scheme = "bearer";
        auto get = [&](const char* k) {
          auto p = c.params.find(k);
          return p == c.params.end() ? std::string() : p->second;
        };
        realm = get("realm");
        service = get("service");
        scope = get("scope");
        if (scope.empty()) scope = "repository:" + ref.repository + ":pull";
        return;
      }
    }
    for (const auto& c : parse_www_authenticate(it->second))
      if (c.scheme == "basic") {
        auth_scheme = "basic";
        return;
      }
  }

  // Get a token for the current challenge (bearer), or check that there
  // are credentials (basic).
  void authenticate() {
    if (auth_scheme == "basic") {
      if (!credentials())
        throw Error(str(ref.registry,
                        " requires a user name and password, and there are none for it in the docker "
                        "config file ($DOCKER_CONFIG/config.json or ~/.docker/config.json)"));
      return;
    }
    if (auth_scheme != "bearer") throw Error(str(ref.registry, " asked for authentication of an unknown kind"));
    if (realm.empty()) throw Error(str(ref.registry, " asked for a token but named no realm to get it from"));
    if (have_valid_auth()) return;
    CURL* esc = curl_easy_init();
    auto q = [&](const std::string& s) {
      char* e = curl_easy_escape(esc, s.c_str(), static_cast<int>(s.size()));
      std::string r = e ? e : "";
      curl_free(e);
      return r;
    };
    std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    if (!service.empty()) url += "service=" + q(service) + "&";
    // A challenge may carry several scopes separated by spaces.
    size_t s = 0;
    while (s < scope.size()) {
      size_t e = scope.find(' ', s);
      if (e == std::string::npos) e = scope.size();
      if (e > s) url += "scope=" + q(scope.substr(s, e - s)) + "&";
      s = e + 1;
    }
    url.pop_back();
    curl_easy_cleanup(esc);
    auto x = std::make_unique<Xfer>();
    x->url = url;
    x->send_auth = false;  // the registry's header never goes to the token server
    x->max_body = 1 << 20;
    auto& c = credentials();
    if (c && !c->username.empty()) {
      // A realm is wherever the registry's challenge says: credentials go
      // there over https, to a loopback realm (plain http by design, as
      // loopback registries), or with --insecure; never in clear text
      // across a network.
      std::string o = origin_of(realm);
      bool https = starts_with(o, "https://");
      bool loopback = starts_with(o, "http://") && is_loopback_registry(o.substr(7));
      if (!https && !loopback && !opt.insecure)
        throw Error(str("refusing to send the credentials of ", c->username, " for ", ref.registry,
                        " to the token service ", o.empty() ? realm : o,
                        ": not https (name the registry with --insecure to allow it)"));
      x->headers.push_back("Authorization: Basic " + base64_encode(c->username + ":" + c->password));
    }
    ++n_tokens;
    for (int attempt = 0;; ++attempt) {
      auto r = perform(std::move(x));
      if ((r->result != CURLE_OK && retryable_curl(r->result)) ||
          (r->result == CURLE_OK && retryable_status(r->status))) {
        if (attempt + 1 < kMaxAttempts) {
          wait_for(backoff(*r, attempt));
          auto again = std::make_unique<Xfer>();
          again->url = r->url;
          again->send_auth = false;
          again->max_body = r->max_body;
          again->headers = r->headers;
          x = std::move(again);
          continue;
        }
      }
      if (r->result != CURLE_OK) throw Error(str("cannot get a token for ", ref.name(), ": ", failure_text(*r)));
      if (r->status == 401 || r->status == 403)
        throw Error(str("unauthorized: ", ref.registry, "'s token service refused ",
                        c ? str("the credentials of ", c->username, " (from ", c->source, ")")
                          : std::string("an anonymous request"),
                        " for ", scope, " (", failure_text(*r), ")"));
      if (r->status != 200) throw Error(str("cannot get a token for ", ref.name(), ": ", failure_text(*r)));
      json j = json::parse(r->body, nullptr, false);
      std::string tok;
      if (j.is_object()) {
        if (j.contains("token") && j["token"].is_string()) tok = j["token"];
        else if (j.contains("access_token") && j["access_token"].is_string()) tok = j["access_token"];
      }
      if (tok.empty()) throw Error(str("the token service of ", ref.registry, " answered without a token"));
      long ttl = 60;  // the spec's default
      if (j.contains("expires_in") && j["expires_in"].is_number_integer())
        ttl = std::max(10L, j["expires_in"].get<long>());
      // Renew a little early.
      tokens[token_key()] = {tok,
                             Clock::now() + std::chrono::seconds(ttl) - std::chrono::seconds(std::min(ttl / 10, 30L))};
      log::debug("got a token for ", scope, " from ", origin_of(realm), " valid ", ttl, "s");
      return;
    }
  }

  void wait_for(Clock::duration d) {
    auto until = Clock::now() + d;
    while (Clock::now() < until) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      step(static_cast<int>(std::clamp<long long>(ms, 1, 100)));
    }
  }

  // A request to the registry with auth, retries, redirects and the
  // https->http fallback of --insecure registries.
  std::unique_ptr<Xfer> registry_request(const std::string& path, bool head, const std::vector<std::string>& headers,
                                         uint64_t max_body) {
    std::string url = base() + path;
    bool send_auth = true;
    bool auth_tried = false;
    int redirects = 0;
    for (int attempt = 0;;) {
      auto x = std::make_unique<Xfer>();
      x->url = url;
      x->head = head;
      x->headers = headers;
      x->max_body = max_body;
      x->send_auth = send_auth;
      auto r = perform(std::move(x));
      if (r->result != CURLE_OK) {
        if (!scheme_settled && scheme == "https" && url.rfind("https://", 0) == 0 &&
            (r->result == CURLE_SSL_CONNECT_ERROR || r->result == CURLE_RECV_ERROR || r->result == CURLE_GOT_NOTHING)) {
          log::debug(host, ": no TLS (", failure_text(*r), "), trying plain http (--insecure)");
          scheme = "http";
          scheme_settled = true;
          endpoint = scheme + "://" + host;
          url = base() + path;
          continue;
        }
        if (retryable_curl(r->result) && ++attempt < 3) {
          wait_for(std::chrono::milliseconds(200 * attempt));
          continue;
        }
        std::string why = r->errbuf[0] ? r->errbuf : curl_easy_strerror(r->result);
        if (r->result == CURLE_PEER_FAILED_VERIFICATION || r->result == CURLE_SSL_CACERT_BADFILE)
          throw Error(str("the TLS certificate of ", host_of(url), " is not trusted (", why,
                          "); if you trust this registry anyway, name it with --insecure"));
        throw Error(str("cannot reach registry ", ref.registry, " (", origin_of(url), "): ", why));
      }
      if (url.rfind(endpoint, 0) == 0) scheme_settled = true;
      if (r->status == 401 && send_auth && !auth_tried) {
        auth_tried = true;
        update_challenge(r->resp_headers);
        tokens.erase(token_key());
        if (auth_scheme.empty())
          throw Error(str("unauthorized: ", ref.registry, " refused the request without saying how to authenticate"));
        authenticate();
        continue;
      }
      if (retryable_status(r->status) && ++attempt < kMaxAttempts) {
        long ra = retry_after_seconds(r->resp_headers);
        if (r->status == 429 && ra > 30) return r;  // not worth waiting for: the caller says so
        log::debug(ref.registry, ": HTTP ", r->status, "; retrying");
        wait_for(backoff(*r, attempt - 1));
        continue;
      }
      if (r->status >= 300 && r->status < 400 && r->status != 304) {
        char* loc = nullptr;
        std::string next;
        if (r->h) curl_easy_getinfo(r->h, CURLINFO_REDIRECT_URL, &loc);
        if (loc) next = loc;
        if (next.empty() || ++redirects > kMaxRedirects) return r;
        if (origin_of(next) != origin_of(url)) send_auth = false;
        url = next;
        continue;
      }
      return r;
    }
  }

  [[noreturn]] void http_fail(const Xfer& r, const std::string& what) {
    std::string said = registry_error_text(r.body);
    switch (r.status) {
      case 401:
        throw Error(str("unauthorized: pull access denied for ", ref.name(),
                        ": the repository does not exist or needs credentials",
                        credentials() ? str(" (", credentials()->username, "'s were refused)")
                                      : std::string(" (none in the docker config file)"),
                        said.empty() ? "" : "; the registry said: " + said));
      case 403: throw Error(str("access to ", ref.name(), " is forbidden", said.empty() ? "" : ": " + said));
      case 404: throw Error(str(what, " not found in ", ref.registry, said.empty() ? "" : " (" + said + ")"));
      case 429: {
        long ra = retry_after_seconds(r.resp_headers);
        std::string when = ra >= 0 ? str("; retry after ", utc_time(std::time(nullptr) + ra)) : "";
        auto rl = r.resp_headers.find("ratelimit-remaining");
        auto lim = r.resp_headers.find("ratelimit-limit");
        std::string limits;
        if (lim != r.resp_headers.end())
          limits = str(" (limit ", lim->second, rl != r.resp_headers.end() ? ", remaining " + rl->second : "", ")");
        throw Error(str("rate limited by ", ref.registry, ": HTTP 429 Too Many Requests", limits, when,
                        said.empty() ? "" : "; the registry said: " + said));
      }
      default: throw Error(str("cannot get ", what, " from ", ref.registry, ": ", failure_text(r)));
    }
  }
};

RegistryClient::RegistryClient(const Reference& ref, RegistryOptions opt)
    : impl_(std::make_unique<Impl>(ref, std::move(opt))) {}
RegistryClient::~RegistryClient() = default;

std::optional<std::string> RegistryClient::head_manifest(const std::string& target) {
  auto r = impl_->registry_request("/manifests/" + target, true, {kAcceptManifests}, kMaxManifest);
  if (r->status != 200)
    impl_->http_fail(*r, str("manifest ", impl_->ref.name(), target.rfind("sha256:", 0) == 0 ? "@" : ":", target));
  auto it = r->resp_headers.find("docker-content-digest");
  if (it == r->resp_headers.end() || !is_sha256_digest(it->second)) return std::nullopt;
  return it->second;
}

FetchedManifest RegistryClient::get_manifest(const std::string& target) {
  std::string what = str("manifest ", impl_->ref.name(), target.rfind("sha256:", 0) == 0 ? "@" : ":", target);
  auto r = impl_->registry_request("/manifests/" + target, false, {kAcceptManifests}, kMaxManifest);
  if (r->status != 200) impl_->http_fail(*r, what);
  FetchedManifest m;
  m.body = std::move(r->body);
  m.digest = sha256_digest(m.body);
  if (is_sha256_digest(target) && m.digest != target)
    throw Error(str(what, " failed verification: the registry sent a document whose digest is ", m.digest));
  json j = json::parse(m.body, nullptr, false);
  if (!j.is_object()) throw Error(str(what, " is not a JSON document"));
  m.media_type = j.value("mediaType", "");
  if (m.media_type.empty()) {
    auto ct = r->resp_headers.find("content-type");
    if (ct != r->resp_headers.end()) m.media_type = ct->second.substr(0, ct->second.find(';'));
  }
  if (j.value("schemaVersion", 0) == 1)
    throw Error(str(what, " is a Docker schema 1 manifest, which is not supported (deprecated since 2017)"));
  return m;
}

std::string RegistryClient::get_blob(const std::string& digest, uint64_t max_size) {
  auto r = impl_->registry_request("/blobs/" + digest, false, {}, max_size);
  if (r->status != 200) impl_->http_fail(*r, str("blob ", digest));
  if (sha256_digest(r->body) != digest)
    throw Error(str("blob ", digest, " failed verification: its content hashes to ", sha256_digest(r->body)));
  return std::move(r->body);
}

void RegistryClient::start_blob(const std::string& digest, uint64_t from, DataFn on_data, DoneFn on_done) {
  auto x = std::make_unique<Xfer>();
  x->url = impl_->base() + "/blobs/" + digest;
  x->blob = true;
  x->digest = digest;
  x->from = from;
  x->on_data = std::move(on_data);
  x->on_done = std::move(on_done);
  impl_->xfers.push_back(std::move(x));
  impl_->add(*impl_->xfers.back());
}

void RegistryClient::poll(int timeout_ms) {
  if (!impl_->waiting.empty()) {
    auto next = std::min_element(impl_->waiting.begin(), impl_->waiting.end(),
                                 [](const auto& a, const auto& b) { return a->retry_at < b->retry_at; });
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>((*next)->retry_at - Clock::now()).count();
    timeout_ms = static_cast<int>(std::clamp<long long>(ms, 0, timeout_ms));
  }
  impl_->step(timeout_ms);
  impl_->start_due();
}

void RegistryClient::wakeup() { curl_multi_wakeup(impl_->multi); }

void RegistryClient::cancel_all() {
  for (auto it = impl_->xfers.begin(); it != impl_->xfers.end();) {
    if ((*it)->blob) {
      if ((*it)->h) curl_multi_remove_handle(impl_->multi, (*it)->h);
      it = impl_->xfers.erase(it);
    } else {
      ++it;
    }
  }
  impl_->waiting.clear();
}

size_t RegistryClient::active_blobs() const {
  size_t n = impl_->waiting.size();
  for (const auto& x : impl_->xfers) n += x->blob ? 1 : 0;
  return n;
}

uint64_t RegistryClient::requests() const { return impl_->n_requests; }
uint64_t RegistryClient::token_requests() const { return impl_->n_tokens; }
const std::string& RegistryClient::endpoint() const { return impl_->endpoint; }

}  // namespace rt
