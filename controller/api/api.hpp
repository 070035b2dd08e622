// Api: installs the node API (docs/protocol.md) and the admin API (docs/admin-api.md)
// on an http::Server.
//
// Every route goes through one dispatcher that, before any handler runs:
//   1. names the client by its source address (for audit entries);
//   2. authenticates it as the route's Credential demands (authz.hpp): a verified device
//      certificate whose serial is the device's current one, or a Bearer session token
//      (a connection carrying a client certificate is never an admin credential: 401);
//   3. checks the route's role table (403 otherwise), auditing every refusal.
// Handler errors become JSON error answers in one place (errors.hpp), and a refused
// state change is audited with its outcome.
//
// Threading: the loop thread only. The ApiContext must outlive the Api, and the Api the
// server's routes (destroy the server first, or close it).
#pragma once

#include "common/base/result.hpp"
#include "common/http/server.hpp"
#include "controller/api/context.hpp"

namespace ward::controller {

class Api {
 public:
  explicit Api(ApiContext& ctx) : ctx_(ctx) {}
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  // Registers every route of authz.hpp's table.
  Status install(http::Server& server);

 private:
  ApiContext& ctx_;
};

}  // namespace ward::controller
