// How a subcommand of the `sluice` tool plugs into main: a function adds it (with its flags and
// positionals) to the CLI11 app; when the user picks it, its parse callback sets the `action`
// that main runs after parsing succeeded. Usage errors therefore stay in main (one line, exit 2)
// and an action only deals with failures of its own: one "sluice: error: ..." line and exit 1.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace sluice::tools {

/// The program name in messages ("sluice: error: ...").
inline constexpr const char* program_name = "sluice";

/// The work of the chosen subcommand, run after parsing; returns the process exit code.
using action = std::function<int()>;

/// The signature of a subcommand's registration: adds it to `app`; its parse callback assigns
/// `chosen`, which must outlive parsing.
using add_command = void (*)(CLI::App& app, action& chosen);

}  // namespace sluice::tools
