// Users and groups from the current root's /etc/passwd and /etc/group,
// parsed directly (no NSS: the chain tools are static binaries, and inside
// a container only its own files count).
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace rt {

struct PasswdEntry {
  std::string name, home;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

// Read a small configuration file (passwd, group, an env file, a seccomp
// profile) without trusting what it is: opened non-blocking (a FIFO planted
// in an image cannot hang us), at most `max` bytes (nor can /dev/zero).
// Pipes are read (an env file may come from process substitution) unless
// `regular_only`. nullopt with `ec` set on failure; EFBIG when too large,
// EINVAL when not a regular file and one was required.
std::optional<std::string> read_config_file(const std::string& path, std::error_code& ec, bool regular_only = false,
                                            size_t max = 16 << 20);
// The same from an open fd, from its current offset (not closed).
std::optional<std::string> read_config_fd(int fd, std::error_code& ec, bool regular_only = false,
                                          size_t max = 16 << 20);

// Parse the text of a passwd or group file. Lines that are empty, comments
// or malformed (too few fields, ids that are not numbers) are skipped.
std::vector<PasswdEntry> parse_passwd(std::string_view text);
std::vector<GroupEntry> parse_group(std::string_view text);

// The largest id docker/runc accept (2^31 - 1).
inline constexpr uint32_t kMaxId = 0x7fffffff;

// The identity a --user spec resolves to, the way docker (runc's
// GetExecUser) resolves it:
//   NAME or UID        uid, gid and home from passwd, supplementary groups
//                      = the groups that list the user's name in /etc/group;
//                      a UID missing from passwd gets gid 0 and home "/"
//   NAME:GROUP, UID:GID   the group replaces the passwd gid and no
//                      supplementary groups are taken from /etc/group
// Names that do not resolve are errors; numbers need no entry.
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home = "/";
  std::vector<gid_t> groups;
};

// Files default to the current root's /etc/passwd and /etc/group. A file
// that does not exist counts as empty (so numeric ids always work).
// Throws rt::Error with a one-line message.
Identity resolve_user(std::string_view spec, const std::string& passwd_path = "/etc/passwd",
                      const std::string& group_path = "/etc/group");
// A comma-separated list of group names or numbers ("" gives none).
std::vector<gid_t> resolve_groups(std::string_view list, const std::string& group_path = "/etc/group");
// Home directory of `uid` in passwd, "/" when it has no entry.
std::string home_of(uid_t uid, const std::string& passwd_path = "/etc/passwd");

}  // namespace rt
