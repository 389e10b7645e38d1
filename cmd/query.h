// query.h -- `repd query ip|domain X`: a subject's report, read from a data dir.
#pragma once

namespace repd::cmd {
int RunQuery(int argc, char** argv);
}
