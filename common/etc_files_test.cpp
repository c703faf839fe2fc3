// Unit tests of etc_files.cpp: a container's hosts and resolv.conf, by
// docker's rules.
#include "etc_files.hpp"

#include <doctest/doctest.h>

#include "error.hpp"

using namespace rt;
using namespace rt::etc;

TEST_CASE("parse_resolv_conf: nameserver, search, domain, options; comments ignored") {
  Dns d = parse_resolv_conf("# x\nnameserver 10.0.0.1\n  nameserver\t127.0.0.53\ndomain a.b\noptions ndots:2 edns0\n");
  CHECK(d.nameservers == std::vector<std::string>{"10.0.0.1", "127.0.0.53"});
  CHECK(d.search == std::vector<std::string>{"a.b"});
  CHECK(d.options == std::vector<std::string>{"ndots:2", "edns0"});
  CHECK(parse_resolv_conf("domain a\nsearch x y\n").search == std::vector<std::string>{"x", "y"});
}

TEST_CASE("parse_add_host: NAME:IP, IPv6, host-gateway; bad values named") {
  CHECK(parse_add_host("db:10.1.2.3").ip == "10.1.2.3");
  CHECK(parse_add_host("db=10.1.2.3").name == "db");
  CHECK(parse_add_host("v6:::1").ip == "::1");
  CHECK(parse_add_host("v6:[fe80::1]").ip == "fe80::1");
  CHECK(parse_add_host("gw:host-gateway").ip == kHostGateway);
  CHECK_THROWS_WITH_AS(parse_add_host("db"), doctest::Contains("expected NAME:IP"), Error);
  CHECK_THROWS_WITH_AS(parse_add_host(":1.2.3.4"), doctest::Contains("expected NAME:IP"), Error);
  CHECK_THROWS_WITH_AS(parse_add_host("db:nohost"), doctest::Contains("not an IP address"), Error);
}

TEST_CASE("make_texts: hosts has localhost, --add-host entries, then the hostname on each address") {
  Request r;
  r.hostname = "web";
  r.addresses = {"10.87.0.2"};
  r.add_hosts = {{"db", "10.1.2.3"}};
  Texts t = make_texts(r, "1.1.1.1 hosthosts\n", "nameserver 10.0.0.1\n");
  CHECK(t.hosts.starts_with("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"));
  CHECK(t.hosts.ends_with("10.1.2.3\tdb\n10.87.0.2\tweb\n"));
  CHECK(t.hosts.find("hosthosts") == std::string::npos);
  CHECK(t.hostname == "web\n");
  r.host_network = true;
  CHECK(make_texts(r, "1.1.1.1 hosthosts", "").hosts == "1.1.1.1 hosthosts\n10.1.2.3\tdb\n");
}

TEST_CASE("make_texts: resolv.conf drops loopback and IPv6 name servers, falls back as docker") {
  Request r;
  r.hostname = "h";
  Texts t = make_texts(r, "", "search lan\nnameserver 127.0.0.53\nnameserver 10.0.0.1\nnameserver ::1\n");
  CHECK(t.resolv == "search lan\nnameserver 10.0.0.1\n");
  CHECK(t.note.empty());
  // only a local stub: the resolver's own list, else 8.8.8.8 with a note
  t = make_texts(r, "", "nameserver 127.0.0.53\n", "nameserver 192.168.1.1\n");
  CHECK(t.resolv == "nameserver 192.168.1.1\n");
  t = make_texts(r, "", "nameserver 127.0.0.53\noptions edns0\n");
  CHECK(t.resolv.find("nameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0\n") != std::string::npos);
  CHECK(t.resolv.starts_with("# rt: the host's resolv.conf names no name server the container can reach"));
  CHECK(t.note.find("127.0.0.53") != std::string::npos);
  // the host's network keeps the host's file as it is
  r.host_network = true;
  CHECK(make_texts(r, "", "nameserver 127.0.0.53\n").resolv == "nameserver 127.0.0.53\n");
}

TEST_CASE("make_texts: --dns flags first (the rest from the host's), else the network's DNS") {
  Request r;
  r.hostname = "h";
  r.asked.nameservers = {"9.9.9.9"};
  Texts t = make_texts(r, "", "search lan\nnameserver 127.0.0.1\noptions ndots:1\n");
  CHECK(t.resolv == "search lan\nnameserver 9.9.9.9\noptions ndots:1\n");
  CHECK(t.note.empty());
  r.asked = {{}, {"x.test"}, {"ndots:3"}};
  CHECK(make_texts(r, "", "nameserver 10.0.0.1\n").resolv == "search x.test\nnameserver 10.0.0.1\noptions ndots:3\n");
  r.asked = {};
  r.network = Dns{{"10.87.1.1"}, {"dns.rt"}, {}};
  CHECK(make_texts(r, "", "search lan\nnameserver 10.0.0.1\n").resolv == "search dns.rt lan\nnameserver 10.87.1.1\n");
  // a network result without name servers changes nothing
  r.network = Dns{};
  CHECK(make_texts(r, "", "nameserver 10.0.0.1\n").resolv == "nameserver 10.0.0.1\n");
  r.resolv = false;
  CHECK(make_texts(r, "", "nameserver 10.0.0.1\n").resolv.empty());
}
