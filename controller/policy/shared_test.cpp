#include "controller/policy/shared.hpp"

#include <catch2/catch.hpp>

#include "controller/policy/netmap.hpp"

using namespace ward::policy;

TEST_CASE("Shared<T>: reads as its value, copies share it, equality is by value", "[unit]") {
  const PortSet ports{{22, 22}, {443, 443}};
  SharedPorts a(ports);
  SharedPorts b = a;
  CHECK(&a.get() == &b.get());  // a copy is the same object, not a new allocation
  CHECK(a.size() == 2);
  CHECK(a[1].first == 443);
  CHECK(std::vector<PortRange>(a.begin(), a.end()) == ports);
  CHECK(a == ports);
  CHECK(a == SharedPorts(ports));  // separately built, equal values
  CHECK_FALSE(a == SharedPorts(PortSet{{22, 22}}));

  // The empty value holds no allocation and reads as T{}.
  SharedPorts none(PortSet{});
  CHECK(none.empty());
  CHECK(&none.get() == &SharedPorts().get());
  CHECK(none == SharedPorts());

  SelfInfo info;
  info.id = "dev_1";
  info.name = "ehr-server";
  SharedSelf s(info);
  CHECK(s->name == "ehr-server");
  CHECK(static_cast<const SelfInfo&>(s) == info);
  CHECK(SharedSelf()->id.empty());
  CHECK_FALSE(s == SharedSelf());
}
