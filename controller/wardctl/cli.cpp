#include "controller/wardctl/cli.hpp"

#include <exception>

#include "controller/wardctl/api_error.hpp"
#include "controller/wardctl/config_file.hpp"

namespace ward::wardctl {

Context::Context(std::ostream& o, std::ostream& e, EnvFn env_fn, std::unique_ptr<Input> in)
    : out(o), err(e), env(std::move(env_fn)), input_(std::move(in)) {}

Input& Context::input() {
  if (!input_) input_ = std::make_unique<TerminalInput>(options.password_stdin);
  return *input_;
}

Result<std::string> Context::config_path() const {
  if (!options.config.empty()) return options.config;
  return default_config_path(env);
}

Result<SettingSources> Context::sources() const {
  SettingSources s;
  if (!options.controller.empty()) s.flag_controller = options.controller;
  if (!options.ca.empty()) s.flag_ca = options.ca;
  s.env_controller = env("WARD_CONTROLLER");
  s.env_ca = env("WARD_CA");
  auto path = config_path();
  if (!path) return std::move(path).error();
  s.file_path = *path;
  auto file = load_config_file(*path);
  if (!file) return std::move(file).error();
  s.file = std::move(*file);
  return s;
}

Result<Settings> Context::settings() const {
  auto s = sources();
  if (!s) return std::move(s).error();
  return resolve_settings(*s);
}

Result<std::unique_ptr<ApiClient>> Context::connect(bool require_session) const {
  auto s = settings();
  if (!s) return std::move(s).error();
  if (require_session && !s->token) {
    return Error::unauthenticated("not logged in to " + s->controller.canonical +
                                  "; run `wardctl login` first");
  }
  auto ca = read_text_file(s->ca_file, 1024 * 1024);
  if (!ca) return ca.error().context("reading the CA certificate");
  ApiOptions o;
  o.timeout = std::chrono::seconds(options.timeout_s);
  return ApiClient::create(s->controller, std::move(*ca),
                           require_session ? std::move(s->token) : std::nullopt, o);
}

int Context::fail(const Error& e) const {
  err << "wardctl: " << terminal_safe(e.message()) << '\n';
  return kExitFailed;
}

void add_global_options(CLI::App& app, Context& ctx) {
  app.add_option("--controller", ctx.options.controller,
                 "controller URL, https://HOST:PORT (else $WARD_CONTROLLER, else the config)");
  app.add_option("--ca", ctx.options.ca,
                 "the controller's CA certificate, PEM (else $WARD_CA, else the config)");
  app.add_option("--config", ctx.options.config,
                 "config file (default ~/.config/ward/config.json)");
  app.add_flag("--json", ctx.options.json, "print the API's JSON instead of tables");
  app.add_option("--timeout", ctx.options.timeout_s, "seconds to wait for the controller")
      ->check(CLI::Range(1, 600));
}

void on_run(CLI::App* sub, Context& ctx, std::function<int()> fn) {
  sub->callback([&ctx, fn = std::move(fn)] { ctx.action = fn; });
}

int run_cli(CLI::App& app, Context& ctx, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    app.exit(e, ctx.out, ctx.err);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    app.exit(e, ctx.out, ctx.err);
    return kExitUsage;
  }
  if (!ctx.action) {
    ctx.err << app.help();
    return kExitUsage;
  }
  try {
    return ctx.action();
  } catch (const std::exception& e) {
    return ctx.fail(Error::internal(std::string("unexpected error: ") + e.what()));
  }
}

}  // namespace ward::wardctl
