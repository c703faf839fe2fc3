// Unit tests of usernet.cpp: the host's gateway as pasta copies it.
#include "usernet.hpp"

#include <doctest/doctest.h>

using namespace rt::usernet;

TEST_CASE("default_gateway4: the first default route through a gateway, from /proc/net/route") {
  const char* head = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
  std::string text = std::string(head) +
                     "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
                     "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
                     "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n";
  CHECK(default_gateway4(text) == "192.0.2.1");
  // a default route without a gateway (a point-to-point link) is skipped
  CHECK(default_gateway4(std::string(head) + "ppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n" +
                         "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n") == "192.168.1.1");
  CHECK_FALSE(default_gateway4(head).has_value());
  CHECK_FALSE(default_gateway4("").has_value());
  CHECK_FALSE(default_gateway4("eth0\t00000000\tzz\t0003\n").has_value());
}

TEST_CASE("host_address: slirp4netns's fixed 10.0.2.2") { CHECK(host_address(kSlirp) == "10.0.2.2"); }
