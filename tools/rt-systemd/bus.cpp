#include "bus.hpp"

#include <signal.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "error.hpp"
#include "log.hpp"

namespace rt::systemd {
namespace {

constexpr const char* kDest = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
// How long a job may take (systemd under load can be slow; runc waits 30 s too).
constexpr uint64_t kJobTimeoutUs = 30ULL * 1000 * 1000;

struct BusError {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  ~BusError() { sd_bus_error_free(&e); }
  std::string text(int r) const { return e.message ? e.message : std::strerror(-r); }
};

struct Message {
  sd_bus_message* m = nullptr;
  ~Message() { sd_bus_message_unref(m); }
};

void check(int r, const std::string& what) {
  if (r < 0) throw Error(str(what, ": ", std::strerror(-r)));
}

struct JobWait {
  std::string job, result;
  bool done = false;
};

int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* w = static_cast<JobWait*>(userdata);
  uint32_t id;
  const char *path, *unit, *result;
  if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 && w->job == path) {
    w->done = true;
    w->result = result;
  }
  return 0;
}

// Listens for JobRemoved from before the call that makes the job: the job
// may end before the reply is read (the signal then waits in the queue).
class JobWatch {
 public:
  JobWatch(sd_bus* bus, bool direct) : bus_(bus) {
    // On systemd's private socket signals come without a sender.
    check(
        sd_bus_match_signal(bus, &slot_, direct ? nullptr : kDest, kPath, kManager, "JobRemoved", on_job_removed, &w_),
        "cannot listen to systemd's jobs");
    BusError err;
    int r = sd_bus_call_method(bus, kDest, kPath, kManager, "Subscribe", &err.e, nullptr, "");
    if (r < 0) {
      sd_bus_slot_unref(slot_);
      throw Error(str("cannot subscribe to systemd's jobs: ", err.text(r)));
    }
  }
  ~JobWatch() { sd_bus_slot_unref(slot_); }
  JobWatch(const JobWatch&) = delete;
  JobWatch& operator=(const JobWatch&) = delete;

  // Wait for JOB (the object path a call returned); WHAT names the call in errors.
  void wait(const char* job, const std::string& what) {
    w_.job = job;
    uint64_t deadline = log::now_us() + kJobTimeoutUs;
    while (!w_.done) {
      int r = sd_bus_process(bus_, nullptr);
      if (r > 0) continue;
      uint64_t now = log::now_us();
      if (r == 0 && now >= deadline) throw Error(str(what, ": its job did not end within 30 s"));
      if (r == 0) r = sd_bus_wait(bus_, deadline - now);
      if (r < 0 && r != -EINTR) throw Error(str(what, ": waiting for its job: ", std::strerror(-r)));
    }
    if (w_.result != "done") throw Error(str(what, ": its job ended '", w_.result, "'"));
  }

 private:
  sd_bus* bus_;
  sd_bus_slot* slot_ = nullptr;
  JobWait w_;
};

}  // namespace

Manager::Manager() {
  std::string why;
  if (::geteuid() == 0) {
    // As systemctl: root talks to systemd directly, with or without a bus.
    check(sd_bus_new(&bus_), "cannot connect to systemd");
    int r = sd_bus_set_address(bus_, "unix:path=/run/systemd/private");
    if (r >= 0) r = sd_bus_start(bus_);
    if (r >= 0) direct_ = true;
    else bus_ = sd_bus_unref(bus_), why = str("/run/systemd/private: ", std::strerror(-r), "; ");
  }
  if (!bus_) {
    int r = sd_bus_open_system(&bus_);
    if (r < 0) {
      bus_ = nullptr;
      throw Error(str("cannot connect to systemd: ", why, "the system bus: ", std::strerror(-r)));
    }
  }
  log::step("connected to systemd (", direct_ ? "/run/systemd/private" : "the system bus", ")");
}

Manager::~Manager() { sd_bus_flush_close_unref(bus_); }

namespace {
// PROPS as the a(sv) of StartTransientUnit and SetUnitProperties.
int append_properties(sd_bus_message* m, const std::vector<Property>& props) {
  int r = 0;
  for (const auto& p : props) {
    if (auto v = std::get_if<uint64_t>(&p.value)) {
      if ((r = sd_bus_message_append(m, "(sv)", p.name.c_str(), "t", *v)) < 0) return r;
      continue;
    }
    const auto& bytes = std::get<std::vector<uint8_t>>(p.value);
    if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
        (r = sd_bus_message_append(m, "s", p.name.c_str())) < 0 ||
        (r = sd_bus_message_open_container(m, 'v', "ay")) < 0 ||
        (r = sd_bus_message_append_array(m, 'y', bytes.data(), bytes.size())) < 0 ||
        (r = sd_bus_message_close_container(m)) < 0 || (r = sd_bus_message_close_container(m)) < 0)
      return r;
  }
  return r;
}
}  // namespace

void Manager::set_properties(const std::string& unit, const std::vector<Property>& props) {
  Message m;
  auto ok = [&](int r) { check(r, "cannot build the SetUnitProperties call"); };
  ok(sd_bus_message_new_method_call(bus_, &m.m, kDest, kPath, kManager, "SetUnitProperties"));
  ok(sd_bus_message_append(m.m, "sb", unit.c_str(), 1));
  ok(sd_bus_message_open_container(m.m, 'a', "(sv)"));
  ok(append_properties(m.m, props));
  ok(sd_bus_message_close_container(m.m));
  BusError err;
  int r = sd_bus_call(bus_, m.m, kJobTimeoutUs, &err.e, nullptr);
  if (r < 0) throw Error(str("cannot change systemd unit ", unit, ": ", err.text(r)));
  log::step("set ", props.size(), " properties of ", unit);
}

void Manager::start_scope(const std::string& unit, const std::string& slice, const std::string& description, pid_t pid,
                          const std::vector<Property>& props) {
  JobWatch watch(bus_, direct_);
  Message m;
  auto ok = [&](int r) { check(r, "cannot build the StartTransientUnit call"); };
  ok(sd_bus_message_new_method_call(bus_, &m.m, kDest, kPath, kManager, "StartTransientUnit"));
  ok(sd_bus_message_append(m.m, "ss", unit.c_str(), "replace"));
  ok(sd_bus_message_open_container(m.m, 'a', "(sv)"));
  ok(sd_bus_message_append(m.m, "(sv)", "Description", "s", description.c_str()));
  ok(sd_bus_message_append(m.m, "(sv)", "Slice", "s", slice.c_str()));
  ok(sd_bus_message_append(m.m, "(sv)", "PIDs", "au", 1, static_cast<uint32_t>(pid)));
  ok(sd_bus_message_append(m.m, "(sv)", "Delegate", "b", 1));
  // No ordering against shutdown.target & co (as runc and crun): a stop
  // waits for nothing but the scope's processes.
  ok(sd_bus_message_append(m.m, "(sv)", "DefaultDependencies", "b", 0));
  // A scope that failed (its payload OOM-killed) goes too: the name is free again.
  ok(sd_bus_message_append(m.m, "(sv)", "CollectMode", "s", "inactive-or-failed"));
  ok(append_properties(m.m, props));
  ok(sd_bus_message_close_container(m.m));
  ok(sd_bus_message_append(m.m, "a(sa(sv))", 0));

  BusError err;
  Message reply;
  int r = sd_bus_call(bus_, m.m, kJobTimeoutUs, &err.e, &reply.m);
  if (r < 0) {
    if (sd_bus_error_has_name(&err.e, "org.freedesktop.systemd1.UnitExists"))
      throw Error(str("cannot start systemd scope ", unit,
                      ": it exists already (a container of that name? "
                      "systemctl stop ",
                      unit, ")"));
    throw Error(str("cannot start systemd scope ", unit, ": ", err.text(r)));
  }
  const std::string what = str("cannot start systemd scope ", unit);
  const char* job;
  check(sd_bus_message_read(reply.m, "o", &job), what + ": bad reply");
  log::step("systemd job ", job, " starts ", unit);
  watch.wait(job, what);
  log::step("systemd scope ", unit, " in ", slice, " holds pid ", pid);
}

bool Manager::stop(const std::string& unit, const std::string& only_description) {
  const std::string what = str("cannot stop systemd unit ", unit);
  if (!only_description.empty()) {
    BusError err;
    Message reply;
    int r = sd_bus_call_method(bus_, kDest, kPath, kManager, "GetUnit", &err.e, &reply.m, "s", unit.c_str());
    if (r < 0 && sd_bus_error_has_name(&err.e, "org.freedesktop.systemd1.NoSuchUnit")) return false;
    if (r < 0) throw Error(str(what, ": ", err.text(r)));
    const char* path;
    check(sd_bus_message_read(reply.m, "o", &path), what + ": bad reply");
    BusError perr;
    char* desc = nullptr;
    r = sd_bus_get_property_string(bus_, kDest, path, "org.freedesktop.systemd1.Unit", "Description", &perr.e, &desc);
    if (r < 0) throw Error(str(what, ": reading its description: ", perr.text(r)));
    std::string d(desc);
    std::free(desc);
    if (d != only_description) {
      log::step("systemd unit ", unit, " is described as '", d, "', not '", only_description, "': left alone");
      return false;
    }
  }
  JobWatch watch(bus_, direct_);
  {
    // What is left dies now, not after the stop's SIGTERM and 90 s timeout.
    BusError err;
    int r = sd_bus_call_method(bus_, kDest, kPath, kManager, "KillUnit", &err.e, nullptr, "ssi", unit.c_str(), "all",
                               SIGKILL);
    if (r < 0 && sd_bus_error_has_name(&err.e, "org.freedesktop.systemd1.NoSuchUnit")) return false;
  }
  BusError err;
  Message reply;
  int r = sd_bus_call_method(bus_, kDest, kPath, kManager, "StopUnit", &err.e, &reply.m, "ss", unit.c_str(), "replace");
  if (r < 0) {
    if (sd_bus_error_has_name(&err.e, "org.freedesktop.systemd1.NoSuchUnit")) return false;
    throw Error(str(what, ": ", err.text(r)));
  }
  const char* job;
  check(sd_bus_message_read(reply.m, "o", &job), what + ": bad reply");
  watch.wait(job, what);
  log::step("stopped systemd unit ", unit);
  return true;
}

bool Manager::freeze(const std::string& unit, bool freeze) {
  const char* method = freeze ? "FreezeUnit" : "ThawUnit";
  const std::string what = str("cannot ", freeze ? "freeze" : "thaw", " systemd unit ", unit);
  std::string path;
  {
    BusError err;
    Message reply;
    int r = sd_bus_call_method(bus_, kDest, kPath, kManager, "GetUnit", &err.e, &reply.m, "s", unit.c_str());
    if (r < 0) throw Error(str(what, ": ", err.text(r)));
    const char* p;
    check(sd_bus_message_read(reply.m, "o", &p), what + ": bad reply");
    path = p;
  }
  // CanFreeze (systemd 246 and later, with FreezeUnit): no such property
  // is an older systemd.
  BusError perr;
  int can = 0;
  int r = sd_bus_get_property_trivial(bus_, kDest, path.c_str(), "org.freedesktop.systemd1.Unit", "CanFreeze", &perr.e,
                                      'b', &can);
  if (r < 0 && (sd_bus_error_has_name(&perr.e, SD_BUS_ERROR_UNKNOWN_PROPERTY) ||
                sd_bus_error_has_name(&perr.e, SD_BUS_ERROR_UNKNOWN_INTERFACE)))
    can = 0;
  else if (r < 0) throw Error(str(what, ": reading its CanFreeze: ", perr.text(r)));
  if (!can) {
    log::step("systemd cannot freeze ", unit, " (CanFreeze no, or no such property)");
    return false;
  }
  // The reply comes once the group is frozen (or thawed).
  BusError err;
  r = sd_bus_call_method(bus_, kDest, kPath, kManager, method, &err.e, nullptr, "s", unit.c_str());
  if (r < 0 && (sd_bus_error_has_name(&err.e, SD_BUS_ERROR_UNKNOWN_METHOD) ||
                sd_bus_error_has_name(&err.e, SD_BUS_ERROR_NOT_SUPPORTED))) {
    log::step("systemd cannot freeze ", unit, ": ", err.text(r));
    return false;
  }
  if (r < 0) throw Error(str(what, ": ", err.text(r)));
  log::step(freeze ? "froze " : "thawed ", unit);
  return true;
}

}  // namespace rt::systemd
