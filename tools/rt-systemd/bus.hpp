// rt-systemd's calls to systemd's manager over D-Bus (libsystemd's sd-bus):
// systemd's private socket for root, as systemctl does (no dbus-daemon
// needed), else the system bus. Every failure throws rt::Error.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "properties.hpp"

struct sd_bus;

namespace rt::systemd {

class Manager {
 public:
  Manager();  // connects; throws rt::Error
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // StartTransientUnit UNIT (a .scope) in SLICE holding PID, delegated
  // (Delegate=yes: the group below is the caller's), with PROPS; returns
  // when the job has finished. Throws rt::Error when systemd refuses the
  // unit or the job does not end in "done".
  void start_scope(const std::string& unit, const std::string& slice, const std::string& description, pid_t pid,
                   const std::vector<Property>& props);
  // SetUnitProperties UNIT (runtime: until it goes) to PROPS: systemd
  // writes them to the unit's group. Throws rt::Error.
  void set_properties(const std::string& unit, const std::vector<Property>& props);
  // Kill what is left in UNIT (SIGKILL), StopUnit, wait for the job.
  // Returns false when systemd has no such unit (it is gone already), or
  // when ONLY_DESCRIPTION is given and the unit's differs (someone else's
  // unit of that name, left alone).
  bool stop(const std::string& unit, const std::string& only_description = "");
  // FreezeUnit (FREEZE) or ThawUnit UNIT: systemd freezes its group (the
  // v2 cgroup.freeze) and knows it is frozen; returns when it is. Returns
  // false, having asked nothing of the unit, when this systemd cannot:
  // no such methods (before systemd 246) or the unit's CanFreeze is no
  // (no v2 freezer: a legacy or hybrid cgroup host). Throws rt::Error.
  bool freeze(const std::string& unit, bool freeze);

 private:
  sd_bus* bus_ = nullptr;
  bool direct_ = false;  // systemd's private socket: signals have no sender
};

}  // namespace rt::systemd
