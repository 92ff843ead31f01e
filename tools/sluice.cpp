// The `sluice` command-line tool: inspects what Sluice jobs leave behind. Each subcommand lives in
// its own file and plugs in through one add_* function (see tools/command.hpp); to add one, write
// it and list it in `commands` below.
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "tools/checkpoints_command.hpp"
#include "tools/command.hpp"
#include "tools/kafka_dev_command.hpp"

namespace {

constexpr sluice::tools::add_command commands[] = {
    sluice::tools::add_checkpoints_command,
    sluice::tools::add_kafka_dev_command,
};

/// The message of a missing or unknown command, which CLI11 words as "A subcommand is required"
/// without naming what was typed; "" when the deepest command given needs no further command
/// (the error is then about something else).
std::string command_problem(const CLI::App& app) {
  const CLI::App* level = &app;
  std::string path = level->get_name();
  while (!level->get_subcommands().empty()) {
    level = level->get_subcommands().front();
    path += " " + level->get_name();
  }
  if (level->get_require_subcommand_min() == 0)
    return {};
  std::string names;
  for (const auto* sub : level->get_subcommands([](const CLI::App*) { return true; }))
    names += (names.empty() ? "" : ", ") + sub->get_name();
  auto typed = level->remaining();
  if (typed.empty())
    return "'" + path + "' needs a command: " + names;
  return "unknown command '" + typed.front() + "' for '" + path + "' (commands: " + names + ")";
}

/// Usage errors: one line on stderr, exit 2 (as every Sluice job binary, see sluice/cli.cpp).
int usage_error(const CLI::App& app, const CLI::ParseError& e) {
  std::string msg = e.what();
  if (auto nl = msg.find('\n'); nl != std::string::npos)
    msg.resize(nl);
  if (dynamic_cast<const CLI::RequiredError*>(&e))
    if (auto problem = command_problem(app); !problem.empty())
      msg = problem;
  std::cerr << sluice::tools::program_name << ": error: " << msg << " (see --help)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Sluice's command-line tool: inspect what stream-processing jobs leave behind.",
               sluice::tools::program_name};
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.require_subcommand(1);
  sluice::tools::action chosen;
  for (auto add : commands)
    add(app, chosen);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e);
  }
  try {
    return chosen();
  } catch (const std::exception& e) {
    std::cerr << sluice::tools::program_name << ": error: " << e.what() << "\n";
    return 1;
  }
}
