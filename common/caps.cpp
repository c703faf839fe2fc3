#include "caps.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

#include "error.hpp"
#include "parse.hpp"

namespace rt::caps {
namespace {

// Index = capability number (linux/capability.h).
// clang-format off
constexpr const char* kNames[] = {
    "CAP_CHOWN",           "CAP_DAC_OVERRIDE",  "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",          "CAP_KILL",          "CAP_SETGID",          "CAP_SETUID",
    "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",       "CAP_NET_RAW",       "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",     "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",     "CAP_SYS_BOOT",        "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",      "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
    "CAP_LEASE",           "CAP_AUDIT_WRITE",   "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",     "CAP_SYSLOG",          "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",    "CAP_PERFMON",         "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};
// clang-format on
constexpr int kTableLast = static_cast<int>(std::size(kNames)) - 1;
static_assert(kTableLast == 40, "capability table out of date");

bool bset_has(int cap) { return ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; }

std::string label(int cap) { return name(cap) ? name(cap) : "CAP_" + std::to_string(cap); }

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

}  // namespace

const char* name(int cap) { return cap >= 0 && cap <= kTableLast ? kNames[cap] : nullptr; }
int table_last() { return kTableLast; }

int kernel_last() {
  // PR_CAPBSET_READ fails with EINVAL past the kernel's last capability.
  int last = kTableLast;
  if (bset_has(last)) {
    while (last < 63 && bset_has(last + 1)) ++last;
  } else {
    while (last > 0 && !bset_has(last)) --last;
  }
  return last;
}

Set all_known() {
  int last = kernel_last();
  return last >= 63 ? ~Set{0} : (bit(last + 1) - 1);
}

Set docker_default() {
  return bit(CAP_CHOWN) | bit(CAP_DAC_OVERRIDE) | bit(CAP_FSETID) | bit(CAP_FOWNER) | bit(CAP_MKNOD) |
         bit(CAP_NET_RAW) | bit(CAP_SETGID) | bit(CAP_SETUID) | bit(CAP_SETFCAP) | bit(CAP_SETPCAP) |
         bit(CAP_NET_BIND_SERVICE) | bit(CAP_SYS_CHROOT) | bit(CAP_KILL) | bit(CAP_AUDIT_WRITE);
}

int parse_name(std::string_view s, std::string_view what) {
  std::string u = upper(s);
  if (!starts_with(u, "CAP_")) u = "CAP_" + u;
  for (int i = 0; i <= kTableLast; ++i)
    if (u == kNames[i]) return i;
  throw Error(str("invalid ", what, ": unknown capability '", s,
                  "' (names as in capabilities(7), e.g. NET_ADMIN or CAP_NET_ADMIN)"));
}

List parse_list(std::string_view s, std::string_view what) {
  List out;
  if (s.empty()) throw Error(str("invalid ", what, " '': expected capability names separated by commas, or ALL"));
  for (const auto& word : split(s, ',')) {
    if (word.empty()) throw Error(str("invalid ", what, " '", s, "': empty capability name"));
    if (upper(word) == "ALL") {
      out.all = true;
      continue;
    }
    out.set |= bit(parse_name(word, what));
  }
  return out;
}

Set tweak(Set base, const List& add, const List& drop) {
  if (add.all) return all_known() & ~drop.set;
  if (drop.all) return add.set;
  return (base & ~drop.set) | add.set;
}

std::string format(Set s) {
  std::string out;
  for (int i = 0; i < 64; ++i) {
    if (!has(s, i)) continue;
    if (!out.empty()) out += ',';
    out += label(i);
  }
  return out;
}

State get() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &hdr, data) != 0) throw_errno("cannot read the capabilities (capget)");
  auto join = [](uint32_t lo, uint32_t hi) { return static_cast<Set>(lo) | (static_cast<Set>(hi) << 32); };
  return {join(data[0].effective, data[1].effective), join(data[0].permitted, data[1].permitted),
          join(data[0].inheritable, data[1].inheritable)};
}

void set(const State& st) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(st.effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(st.permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(st.inheritable >> (32 * i));
  }
  if (::syscall(SYS_capset, &hdr, data) != 0)
    throw_errno(str("cannot set the capabilities (permitted ",
                    format(st.permitted).empty() ? "none" : format(st.permitted), ")"));
}

Set bounding() {
  Set s = 0;
  for (int i = 0; i < 64; ++i) {
    int r = ::prctl(PR_CAPBSET_READ, i, 0, 0, 0);
    if (r < 0) break;
    if (r == 1) s |= bit(i);
  }
  return s;
}

Set bounding_within(Set of) {
  Set s = 0;
  for (int i = 0; i < 64; ++i)
    if (has(of, i) && ::prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 1) s |= bit(i);
  return s;
}

Set ambient() {
  Set s = 0;
  for (int i = 0; i < 64; ++i) {
    int r = ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, i, 0, 0);
    if (r < 0) break;
    if (r == 1) s |= bit(i);
  }
  return s;
}

void limit_bounding(Set keep, Set current) {
  for (int i = 0; i < 64; ++i) {
    if (!has(current, i) || has(keep, i)) continue;
    if (::prctl(PR_CAPBSET_DROP, i, 0, 0, 0) == 0) continue;
    int e = errno;
    // `current` may be a superset: a capability the set lacks needs no drop
    // (refused only for want of CAP_SETPCAP).
    if (e == EPERM && ::prctl(PR_CAPBSET_READ, i, 0, 0, 0) == 0) continue;
    throw_errno(str("cannot drop ", label(i), " from the bounding set", e == EPERM ? " (needs CAP_SETPCAP)" : ""), e);
  }
}

void set_ambient(Set s) {
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    if (s == 0 && errno == EINVAL) return;  // a kernel without ambient capabilities
    throw_errno("cannot clear the ambient capabilities");
  }
  for (int i = 0; i < 64; ++i)
    if (has(s, i) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) != 0)
      throw_errno(str("cannot raise ", label(i), " in the ambient set"));
}

}  // namespace rt::caps
