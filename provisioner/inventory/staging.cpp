#include "provisioner/inventory/staging.h"

namespace prov::staging {

State next(State current, Input input) {
    switch (input) {
        case Input::kClaimed:
            return current == State::kNew || current == State::kUnassigned ? State::kStaged : current;
        case Input::kConfigEdited:
            return current == State::kProvisioned || current == State::kApplied ? State::kStale : current;
        case Input::kDelivered:
        case Input::kRedelivered:
            switch (current) {
                case State::kUnassigned: return current;
                case State::kNew:
                case State::kStaged:
                case State::kStale: return State::kProvisioned;
                case State::kProvisioned:
                case State::kApplied: return input == Input::kRedelivered ? State::kApplied : State::kProvisioned;
            }
    }
    return current;
}

}  // namespace prov::staging
