#include "press_settlement.hpp"

namespace snet::relayer {

void PressSettlement::release() {
  if (outstanding_.fetch_sub(1) == 1) ledger_.settle(press_id_);
}

std::shared_ptr<PressSettlement> PressLedger::begin(const std::string& press_id,
                                                    std::function<void()> ack) {
  {
    std::lock_guard lock(mutex_);
    auto& acks = acks_[press_id];
    if (ack) acks.push_back(std::move(ack));
  }
  return std::make_shared<PressSettlement>(*this, press_id);
}

bool PressLedger::join(const std::string& press_id, std::function<void()> ack) {
  std::lock_guard lock(mutex_);
  const auto it = acks_.find(press_id);
  if (it == acks_.end()) return false;
  if (ack) it->second.push_back(std::move(ack));
  return true;
}

std::size_t PressLedger::in_progress() const {
  std::lock_guard lock(mutex_);
  return acks_.size();
}

void PressLedger::settle(const std::string& press_id) {
  std::vector<std::function<void()>> acks;
  {
    std::lock_guard lock(mutex_);
    const auto it = acks_.find(press_id);
    if (it == acks_.end()) return;
    acks = std::move(it->second);
    acks_.erase(it);
  }
  for (const auto& ack : acks) ack();
}

}  // namespace snet::relayer
