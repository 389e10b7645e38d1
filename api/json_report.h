// json_report.h -- the JSON shapes of what reputation/ answers (documented in api/openapi.yaml).
#pragma once

#include <boost/json/object.hpp>

#include "reputation/reputation.h"

namespace repd::api {

boost::json::object SubjectJson(const reputation::SubjectReport& report);
boost::json::object CheckJson(const reputation::CheckResult& result);
boost::json::object OverrideJson(const reputation::Override& entry);
boost::json::object DelistJson(const reputation::DelistOutcome& outcome);

std::string_view OverrideActionName(reputation::Override::Action action);

}  // namespace repd::api
