// ward-controller: Ward's controller daemon. `init` creates a data directory; `serve`
// runs the HTTPS API. Exit codes: 0 ok, 1 failed, 2 usage.
#include <iostream>

#include <CLI/CLI.hpp>

#include "controller/server/init.hpp"
#include "controller/server/serve.hpp"

int main(int argc, char** argv) {
  using namespace ward::controller;
  CLI::App app{"ward-controller: Ward's policy engine and administrator"};
  app.require_subcommand(1);

  InitOptions init;
  std::string lifetime = "24h";
  auto* init_cmd = app.add_subcommand("init", "create a new controller data directory");
  init_cmd->add_option("--data-dir", init.data_dir, "data directory (created 0700)")->required();
  init_cmd->add_option("--listen", init.listen, "HOST:PORT to serve on (default 0.0.0.0:8443)");
  init_cmd->add_option("--name", init.names,
                       "DNS name or IP of the controller, for its TLS certificate (repeatable; "
                       "default localhost and 127.0.0.1)");
  init_cmd->add_option("--overlay-v4", init.overlay_v4,
                       "IPv4 overlay prefix (default 100.64.0.0/10)");
  init_cmd->add_option("--overlay-v6", init.overlay_v6,
                       "IPv6 overlay prefix (default a random fd00::/48)");
  init_cmd->add_option("--device-cert-lifetime", lifetime,
                       "device certificate lifetime (default 24h)");

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "run the controller");
  serve_cmd->add_option("--data-dir", serve.data_dir, "data directory made by init")->required();
  serve_cmd->add_option("--listen", serve.listen, "override the stored HOST:PORT (port 0: any)");
  serve_cmd->add_option("--log-format", serve.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  serve_cmd->add_option("--log-level", serve.log_level, "trace, debug, info, warn, error");
  serve_cmd->add_option("--name", serve.names,
                        "DNS name or IP the TLS certificate must carry (repeatable); when the "
                        "set differs from the current certificate's, it is reissued at once");
  std::string cert_check = "24h";
  serve_cmd->add_option("--server-cert-check-interval", cert_check,
                        "how often to check the TLS certificate for renewal (default 24h)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  ward::Status s = ward::ok();
  if (init_cmd->parsed()) {
    auto d = parse_duration(lifetime);
    if (!d) {
      std::cerr << "ward-controller init: --device-cert-lifetime: " << d.error().message() << "\n";
      return 2;
    }
    init.device_cert_lifetime = *d;
    s = run_init(init, std::cout);
  } else {
    auto d = parse_duration(cert_check);
    if (!d) {
      std::cerr << "ward-controller serve: --server-cert-check-interval: " << d.error().message()
                << "\n";
      return 2;
    }
    serve.server_cert_check_interval = *d;
    s = run_serve(serve);
  }
  if (!s) {
    std::cerr << "ward-controller: " << s.error().to_string() << "\n";
    return 1;
  }
  return 0;
}
