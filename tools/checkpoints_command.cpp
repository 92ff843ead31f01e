#include "tools/checkpoints_command.hpp"

#include <filesystem>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "checkpoints/storage.hpp"
#include "sluice/cli.hpp"
#include "tools/checkpoint_inventory.hpp"
#include "tools/checkpoint_text.hpp"

namespace sluice::tools {

namespace {

int fail(const std::string& what) { return report_error(program_name, what); }

/// "" when `dir` is a directory, else why not.
std::string directory_problem(const std::string& dir) {
  std::error_code ec;
  auto st = std::filesystem::status(dir, ec);
  if (st.type() == std::filesystem::file_type::not_found)
    return "checkpoint directory " + dir + " does not exist";
  if (ec)
    return "cannot read checkpoint directory " + dir + ": " + ec.message();
  if (st.type() != std::filesystem::file_type::directory)
    return dir + " is not a directory";
  return {};
}

/// The checkpoint `show` prints: the requested one if valid, else the newest valid one.
std::optional<checkpoints::manifest> pick(const show_request& request,
                                          const checkpoints::checkpoint_storage& storage,
                                          std::string& error) {
  if (request.id) {
    auto id = std::to_string(*request.id);
    auto entry = find_checkpoint(storage, *request.id);
    if (!entry)
      error = "no checkpoint " + id + " in " + request.dir;
    else if (!entry->valid())
      error = "checkpoint " + id + " in " + request.dir + " is " + entry->status_text();
    else
      return std::move(entry->manifest);
    return std::nullopt;
  }
  auto choice = checkpoints::choose_recovery(storage);
  if (!choice.chosen) {
    auto completed = storage.list_completed().size();
    error = completed == 0 ? "no completed checkpoint in " + request.dir
                           : "no valid checkpoint in " + request.dir + ": all " +
                                 std::to_string(completed) +
                                 " are damaged (see 'sluice checkpoints list')";
    return std::nullopt;
  }
  for (const auto& w : choice.warnings)  // newer checkpoints skipped as damaged
    std::cerr << program_name << ": warning: " << w << "\n";
  return std::move(choice.chosen);
}

}  // namespace

int list_checkpoints(const std::string& dir, std::ostream& out) {
  if (auto problem = directory_problem(dir); !problem.empty())
    return fail(problem);
  checkpoints::checkpoint_storage storage{dir};
  write_checkpoint_table(out, inventory(storage));
  out << recovery_line(checkpoints::choose_recovery(storage)) << "\n";
  return 0;
}

int show_checkpoint(const show_request& request, std::ostream& out) {
  if (auto problem = directory_problem(request.dir); !problem.empty())
    return fail(problem);
  checkpoints::checkpoint_storage storage{request.dir};
  std::string error;
  auto m = pick(request, storage, error);
  if (!m)
    return fail(error);
  if (request.json)
    out << checkpoints::to_json(*m);
  else
    write_manifest_text(out, *m);
  return 0;
}

void add_checkpoints_command(CLI::App& app, action& chosen) {
  auto* group = app.add_subcommand(
      "checkpoints", "Inspect a job's --checkpoint-dir: its checkpoints and what a restart restores");
  group->require_subcommand(1);

  auto list_dir = std::make_shared<std::string>();
  auto* list = group->add_subcommand(
      "list", "One line per checkpoint (complete, final, incomplete or damaged), newest last, "
              "then the checkpoint a restart would restore");
  list->add_option("DIR", *list_dir, "The job's --checkpoint-dir")->required();
  list->callback([&chosen, list_dir] {
    chosen = [list_dir] { return list_checkpoints(*list_dir, std::cout); };
  });

  auto show = std::make_shared<show_request>();
  auto* show_cmd = group->add_subcommand(
      "show", "One checkpoint in detail: operators, subtasks, state files, source positions and "
              "pending sink commits");
  show_cmd->add_option("DIR", show->dir, "The job's --checkpoint-dir")->required();
  show_cmd->add_option("ID", show->id, "Checkpoint id (default: the newest valid checkpoint)");
  show_cmd->add_flag("--json", show->json, "Print the manifest's JSON instead");
  show_cmd->callback([&chosen, show] {
    chosen = [show] { return show_checkpoint(*show, std::cout); };
  });
}

}  // namespace sluice::tools
