// Command-line parsing shared by every job binary (CLI11): the common flags of job_options plus
// the job's own. Bad flags give one line on stderr and exit code 2; --help lists every flag.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "sluice/options.hpp"

namespace sluice {

class cli {
 public:
  cli(std::string name, std::string description);

  /// The parser, to add the job's own flags before parse().
  CLI::App& app() { return app_; }
  /// Parses argv. Returns an exit code when the program should stop now (help: 0, error: 2,
  /// with the message already printed), nullopt to go on. With --role worker it first fetches
  /// the job's command line from the coordinator (--join) and parses that instead, keeping the
  /// worker's own multi-node flags.
  std::optional<int> parse(int argc, char** argv);
  const job_options& options() const { return opts_; }
  job_options& options() { return opts_; }
  const std::string& name() const { return name_; }

 private:
  std::optional<int> parse_args(int argc, char** argv);

  std::string name_;
  CLI::App app_;
  job_options opts_;
};

/// Prints "NAME: error: WHAT" on stderr and returns 1: the one-line failure of a job binary.
int report_error(const std::string& name, const std::string& what);

}  // namespace sluice
