#include "mycelium/pgclient/error.hpp"

#include "mycelium/pgclient/connect.hpp"

namespace mycelium::pgclient {

std::string Error::describe(const std::string &action) const {
  if (sqlstate_.empty())
    return action + " failed: " + one_line(what());
  std::string text = action + " rejected by the database (" + sqlstate_ + "): " + one_line(what());
  if (!detail_.empty())
    text += "; " + one_line(detail_);
  if (!hint_.empty())
    text += "; hint: " + one_line(hint_);
  return text;
}

} // namespace mycelium::pgclient
