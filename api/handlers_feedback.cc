// handlers_feedback.cc -- POST /v1/feedback: one JSON event, or an NDJSON batch.
//
// A batch with some bad lines still accepts its good lines: feeds are produced by machines
// from many sources, and refusing a whole batch for one malformed line would make a reporter
// resend good events (harmless, ids are idempotent) or, worse, drop them. Each rejected line
// is reported with its number and the field at fault.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "absl/strings/ascii.h"
#include "api/api.h"
#include "api/body_json.h"
#include "api/json_io.h"
#include "common/strings.h"
#include "reputation/reputation.h"

namespace repd::api {

namespace json = boost::json;

void Api::Feedback(const Request& req, Response* res) {
  const int64_t now = Now();
  const bool batch = req.content_type.find("ndjson") != std::string_view::npos;
  std::vector<reputation::Event> events;
  std::vector<size_t> event_lines;  // the NDJSON line of each event
  json::array errors;
  if (!batch) {
    std::string_view body = AsStd(absl::StripAsciiWhitespace(AsAbsl(req.body)));
    if (body.empty()) return SetError(400, "invalid_argument", "body: empty", res);
    auto event = reputation::ParseEventJson(body, now);
    if (!event.ok()) return SetError(400, "invalid_event", AsStd(event.status().message()), res);
    events.push_back(std::move(*event));
    event_lines.push_back(1);
  } else {
    bool too_many = false;
    ForEachLine(req.body, [&](size_t line, std::string_view text) {
      if (events.size() + errors.size() >= options_.feedback_max_events) {
        too_many = true;
        return false;
      }
      auto event = reputation::ParseEventJson(text, now);
      if (event.ok()) {
        events.push_back(std::move(*event));
        event_lines.push_back(line);
      } else {
        errors.emplace_back(
            json::object{{"line", line}, {"message", AsStd(event.status().message())}});
      }
      return true;
    });
    if (too_many) {
      return SetError(
          413, "too_many_events",
          "a batch holds at most " + std::to_string(options_.feedback_max_events) + " events", res);
    }
    if (events.empty() && errors.empty()) {
      return SetError(400, "invalid_argument", "body: no events", res);
    }
  }
  reputation::IngestOutcome outcome;
  if (!events.empty()) {
    auto ingested = services_.reputation->Ingest(events);
    // Nothing of the batch is acknowledged: the reporter sends it again, and ids make that safe.
    if (!ingested.ok()) return SetStatusError(ingested.status(), res);
    outcome = *ingested;
  }
  // Events the engine refused (e.g. older than the retention) are reported like parse errors,
  // in line order: nothing is dropped without a word.
  for (const auto& [index, reason] : outcome.rejected) {
    errors.emplace_back(json::object{{"line", event_lines[index]}, {"message", reason}});
  }
  std::stable_sort(errors.begin(), errors.end(), [](const json::value& a, const json::value& b) {
    return a.as_object().at("line").to_number<size_t>() <
           b.as_object().at("line").to_number<size_t>();
  });
  events_accepted_.Add(outcome.accepted);
  events_duplicate_.Add(outcome.duplicate);
  events_rejected_.Add(errors.size());
  json::object root;
  root["accepted"] = outcome.accepted;
  root["duplicate"] = outcome.duplicate;
  root["rejected"] = errors.size();
  root["errors"] = std::move(errors);
  SetJson(root, 200, res);
}

}  // namespace repd::api
