#include "passwd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "error.hpp"
#include "fs.hpp"
#include "parse.hpp"

namespace rt {
namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::optional<uint32_t> to_id(std::string_view s) {
  if (!all_digits(s) || s.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  if (v > kMaxId) return std::nullopt;
  return static_cast<uint32_t>(v);
}

// Lines of a colon file, without comments and empty lines.
template <typename F> void each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    f(split(line, ':'));
  }
}

// A missing file reads as empty; any other failure is an error.
std::string read_db(const std::string& path) {
  std::error_code ec;
  auto s = read_config_file(path, ec, true);
  if (s) return *s;
  if (ec.value() == ENOENT) return {};
  throw Error(str("cannot read ", path, ec.value() == EINVAL ? ": not a regular file" : ""),
              ec.value() == EINVAL ? 0 : ec.value());
}

uint32_t id_or_die(std::string_view s, std::string_view what) {
  auto id = to_id(s);
  if (!id) throw Error(str("invalid ", what, " '", s, "': at most ", kMaxId));
  return *id;
}

}  // namespace

std::optional<std::string> read_config_file(const std::string& path, std::error_code& ec, bool regular_only,
                                            size_t max) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd) {
    ec = errno_code();
    return std::nullopt;
  }
  return read_config_fd(fd.get(), ec, regular_only, max);
}

std::optional<std::string> read_config_fd(int fd, std::error_code& ec, bool regular_only, size_t max) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ec = errno_code();
    return std::nullopt;
  }
  if (S_ISDIR(st.st_mode) || (regular_only && !S_ISREG(st.st_mode))) {
    ec = errno_code(S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
    return std::nullopt;
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EAGAIN) {  // a pipe with no writer yet: wait for data
      pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, -1);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ec = errno_code();
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max) {
      ec = errno_code(EFBIG);
      return std::nullopt;
    }
  }
  ec.clear();
  return out;
}

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  each_line(text, [&](const std::vector<std::string>& f) {
    if (f.size() < 4 || f[0].empty()) return;
    auto uid = to_id(f[2]), gid = to_id(f[3]);
    if (!uid || !gid) return;
    out.push_back({f[0], f.size() > 5 && !f[5].empty() ? f[5] : "/", *uid, *gid});
  });
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  each_line(text, [&](const std::vector<std::string>& f) {
    if (f.size() < 3 || f[0].empty()) return;
    auto gid = to_id(f[2]);
    if (!gid) return;
    GroupEntry g{f[0], *gid, {}};
    if (f.size() > 3)
      for (auto& m : split(f[3], ','))
        if (!m.empty()) g.members.push_back(m);
    out.push_back(std::move(g));
  });
  return out;
}

Identity resolve_user(std::string_view spec, const std::string& passwd_path, const std::string& group_path) {
  auto colon = spec.find(':');
  std::string_view user = spec.substr(0, colon);
  std::string_view group = colon == std::string_view::npos ? std::string_view{} : spec.substr(colon + 1);
  if (user.empty() || (colon != std::string_view::npos && group.empty()) || group.find(':') != std::string_view::npos)
    throw Error(str("invalid --user '", spec, "': expected NAME|UID[:GROUP|GID]"));

  Identity id;
  bool numeric = all_digits(user);
  auto users = parse_passwd(read_db(passwd_path));
  const PasswdEntry* match = nullptr;
  uint32_t want_uid = numeric ? id_or_die(user, "--user uid") : 0;
  for (const auto& u : users)
    if (numeric ? u.uid == want_uid : u.name == user) {
      match = &u;  // the first entry wins, as in runc
      break;
    }
  if (match) {
    id.uid = match->uid;
    id.gid = match->gid;
    id.home = match->home;
  } else if (numeric) {
    id.uid = want_uid;  // gid 0, home "/": what docker does for a uid without an entry
  } else {
    throw Error(str("unknown user '", user, "': no such entry in ", passwd_path));
  }

  if (!group.empty() || match) {
    auto groups = parse_group(read_db(group_path));
    if (!group.empty()) {
      if (all_digits(group)) {
        id.gid = id_or_die(group, "--user gid");
      } else {
        const GroupEntry* g = nullptr;
        for (const auto& e : groups)
          if (e.name == group) {
            g = &e;
            break;
          }
        if (!g) throw Error(str("unknown group '", group, "': no such entry in ", group_path));
        id.gid = g->gid;
      }
    } else if (match) {
      for (const auto& g : groups)
        for (const auto& m : g.members)
          if (m == match->name) {
            id.groups.push_back(g.gid);
            break;
          }
    }
  }
  return id;
}

std::vector<gid_t> resolve_groups(std::string_view list, const std::string& group_path) {
  std::vector<gid_t> out;
  if (list.empty()) return out;
  std::optional<std::vector<GroupEntry>> groups;  // read only when a name needs it
  for (const auto& word : split(list, ',')) {
    if (word.empty()) throw Error(str("invalid --groups '", list, "': empty group name"));
    if (all_digits(word)) {
      out.push_back(id_or_die(word, "--groups gid"));
      continue;
    }
    if (!groups) groups = parse_group(read_db(group_path));
    const GroupEntry* g = nullptr;
    for (const auto& e : *groups)
      if (e.name == word) {
        g = &e;
        break;
      }
    if (!g) throw Error(str("unknown group '", word, "' in --groups: no such entry in ", group_path));
    out.push_back(g->gid);
  }
  return out;
}

std::string home_of(uid_t uid, const std::string& passwd_path) {
  for (const auto& u : parse_passwd(read_db(passwd_path)))
    if (u.uid == uid) return u.home;
  return "/";
}

}  // namespace rt
