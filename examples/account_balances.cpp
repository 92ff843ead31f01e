// A real-time ledger, where exactly-once matters. Input lines "txn_id,account,amount" (amount: a
// signed integer of cents); output lines "txn_id,account,amount,balance", the balance being the
// account's running sum including this transaction. Malformed lines go to the dead-letter files
// and are counted; the job never stops for them. With --checkpoint-dir the balances survive a
// kill -9: restart the same command and it resumes from the latest checkpoint, every transaction
// in the committed output exactly once.
//
// Kafka: --kafka-input TOPIC reads the lines from a topic (message values; keyed by account) and
// --kafka-output TOPIC writes the rows to one (key = account, value = the row), exactly once with
// --checkpoint-dir even for readers of uncommitted data. Without --kafka-brokers an embedded
// development broker is started, filled from --input and printed at the end.
#include <charconv>
#include <iostream>
#include <optional>
#include <tuple>

#include "connectors/kafka_job.hpp"
#include "examples/kafka_demo.hpp"
#include "sluice/sluice.hpp"

namespace {

using txn = std::tuple<std::string, std::string, int64_t>;                 // id, account, amount
using balance_row = std::tuple<std::string, std::string, int64_t, int64_t>;  // + balance

/// Splits "id,account,amount" strictly: three fields, non-empty id and account, an integer amount.
sluice::parsed<txn> parse_txn(const std::string& line) {
  auto c1 = line.find(',');
  auto c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
  if (c2 == std::string::npos || line.find(',', c2 + 1) != std::string::npos)
    return sluice::reject("expected 3 comma-separated fields");
  auto id = line.substr(0, c1);
  auto account = line.substr(c1 + 1, c2 - c1 - 1);
  auto amount_text = std::string_view(line).substr(c2 + 1);
  if (!amount_text.empty() && amount_text.back() == '\r')
    amount_text.remove_suffix(1);
  if (id.empty())
    return sluice::reject("empty txn_id");
  if (account.empty())
    return sluice::reject("empty account");
  int64_t amount = 0;
  auto [end, ec] = std::from_chars(amount_text.data(), amount_text.data() + amount_text.size(), amount);
  if (ec == std::errc::result_out_of_range)
    return sluice::reject("amount out of range");
  if (ec != std::errc{} || end != amount_text.data() + amount_text.size() || amount_text.empty())
    return sluice::reject("amount is not an integer");
  return sluice::accept(txn{std::move(id), std::move(account), amount});
}

/// The embedded broker's input when no --input is given (one line is malformed on purpose).
const std::vector<std::string> demo_ledger = {
    "t1,alice,1000", "t2,bob,500",   "t3,alice,-250", "t4,carol,70",
    "t5,bob,-100",   "t6,oops",      "t7,alice,5",    "t8,carol,-20",
};

}  // namespace

int main(int argc, char** argv) {
  sluice::cli cli{"account_balances",
                  "Running balance per account from lines txn_id,account,amount (cents)."};
  if (auto rc = cli.parse(argc, argv))
    return *rc;
  try {
    auto& o = cli.options();
    bool kafka = !o.kafka_input.empty() || !o.kafka_output.empty();
    std::optional<sluice::examples::kafka_demo> demo;
    if (kafka)  // the account (second field) keys the input messages
      demo.emplace(o, cli.name(), demo_ledger, [](const std::string& line) {
        auto r = parse_txn(line);
        return r.value ? std::get<1>(*r.value) : std::string{};
      });
    sluice::environment env{o};
    auto lines = o.kafka_input.empty()
                     ? env.text_input().uid("lines")
                     : sluice::read_kafka(env, sluice::kafka_source_options_of(o), "lines")
                           .map([](const sluice::kafka_record& r) { return r.value; }, "values");
    auto rows =
        lines
            .parse<txn>(parse_txn, "parse")
            .key_by([](const txn& t) -> const std::string& { return std::get<1>(t); })
            .process<balance_row>(
                [](const txn& t, sluice::keyed_context<std::string, balance_row>& ctx) {
                  auto& balance = ctx.value_state<int64_t>("balance");
                  int64_t b = balance.value_or(0);
                  if (__builtin_add_overflow(b, std::get<2>(t), &b))
                    throw std::overflow_error("balance of account " + std::get<1>(t) + " overflows");
                  balance.update(b);
                  ctx.emit(balance_row{std::get<0>(t), std::get<1>(t), std::get<2>(t), b});
                },
                "balances");
    auto csv = [](std::string& out, const balance_row& r) {
      out += std::get<0>(r);
      out += ',';
      out += std::get<1>(r);
      out += ',';
      sluice::format_field(out, std::get<2>(r));
      out += ',';
      sluice::format_field(out, std::get<3>(r));
    };
    if (!o.kafka_output.empty())
      sluice::write_kafka(rows, sluice::kafka_sink_options_of(o),
                          [csv](const balance_row& r, sluice::kafka_message& m) {
                            m.key = std::get<1>(r);
                            csv(m.value, r);
                          }, "sink");
    else if (o.output.empty())
      rows.to_console(csv).uid("sink");
    else
      rows.to_files(sluice::file_sink_options{o.output}, csv).uid("sink");
    auto result = env.execute();
    if (!result.ok)
      return sluice::report_error(cli.name(), result.error);
    if (result.served_as_worker)  // results and metrics are the coordinator's
      return 0;
    if (demo)
      demo->print_output(o, o.kafka_output);
    if (const auto* p = result.find("parse"); p && p->dead_letters > 0)
      std::cerr << cli.name() << ": " << p->dead_letters << " malformed line(s) written to the dead-letter files\n";
    return 0;
  } catch (const std::exception& e) {
    return sluice::report_error(cli.name(), e.what());
  }
}
