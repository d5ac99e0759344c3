//! The lifecycle of a registered credit model: where it stands ([`ModelStatus`]) and which moves are legal
//! ([`ModelStatus::check_move`]).
//!
//! A model is registered as [`ModelStatus::Candidate`]; candidate → champion, challenger or retired; challenger →
//! champion or retired; champion → challenger (demoted) or retired; retired is final. At most one model per name is
//! champion: promoting one demotes the current champion to challenger ([`ModelStatus::demotes_champion`]). The
//! registry that keeps the history applies these rules inside its transactions.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a model stands in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelStatus {
    /// Registered, not yet used for decisions.
    Candidate,
    /// The model decisions are made with; at most one per name.
    Champion,
    /// Scored alongside the champion for comparison.
    Challenger,
    /// Out of use for good.
    Retired,
}

impl ModelStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [ModelStatus; 4] =
        [ModelStatus::Candidate, ModelStatus::Champion, ModelStatus::Challenger, ModelStatus::Retired];

    /// The stable code, as stored and shown.
    pub fn code(self) -> &'static str {
        match self {
            ModelStatus::Candidate => "candidate",
            ModelStatus::Champion => "champion",
            ModelStatus::Challenger => "challenger",
            ModelStatus::Retired => "retired",
        }
    }

    /// Whether the lifecycle allows a move from `self` to `to`; the error names the rule the move breaks.
    ///
    /// Staying where one is counts as allowed: the registry makes it a no-op.
    pub fn check_move(self, to: ModelStatus) -> Result<(), IllegalModelMove> {
        let rule = match (self, to) {
            (from, to) if from == to => return Ok(()),
            (ModelStatus::Retired, _) => "retired is final",
            (_, ModelStatus::Candidate) => "no model returns to candidate",
            _ => return Ok(()),
        };
        Err(IllegalModelMove { from: self, to, rule })
    }

    /// The status the name's current champion moves to when a model moves to `to`: challenger on a promotion to
    /// champion (one champion per name), none otherwise.
    pub fn demotes_champion(to: ModelStatus) -> Option<ModelStatus> {
        (to == ModelStatus::Champion).then_some(ModelStatus::Challenger)
    }
}

impl fmt::Display for ModelStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text that is not a model status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a model status (expected candidate, champion, challenger or retired)")]
pub struct UnknownModelStatus(pub String);

impl FromStr for ModelStatus {
    type Err = UnknownModelStatus;

    fn from_str(text: &str) -> Result<ModelStatus, UnknownModelStatus> {
        ModelStatus::ALL.into_iter().find(|s| s.code() == text).ok_or_else(|| UnknownModelStatus(text.to_string()))
    }
}

/// A move the model lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{rule}; cannot move from {from} to {to}")]
pub struct IllegalModelMove {
    /// The current status.
    pub from: ModelStatus,
    /// The status asked for.
    pub to: ModelStatus,
    /// The lifecycle rule the move breaks.
    pub rule: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_allows_exactly_the_documented_moves() {
        use ModelStatus::*;
        let allowed = [
            (Candidate, Champion),
            (Candidate, Challenger),
            (Candidate, Retired),
            (Challenger, Champion),
            (Challenger, Retired),
            (Champion, Challenger),
            (Champion, Retired),
        ];
        for from in ModelStatus::ALL {
            for to in ModelStatus::ALL {
                let expected = from == to || allowed.contains(&(from, to));
                assert_eq!(from.check_move(to).is_ok(), expected, "{from} -> {to}");
            }
        }
        assert_eq!(Retired.check_move(Champion).map_err(|e| e.rule), Err("retired is final"));
        assert_eq!(Champion.check_move(Candidate).map_err(|e| e.rule), Err("no model returns to candidate"));
        assert_eq!(
            Retired.check_move(Champion).map_err(|e| e.to_string()),
            Err("retired is final; cannot move from retired to champion".to_string())
        );
    }

    #[test]
    fn only_a_promotion_to_champion_demotes_the_champion() {
        for to in ModelStatus::ALL {
            let expected = (to == ModelStatus::Champion).then_some(ModelStatus::Challenger);
            assert_eq!(ModelStatus::demotes_champion(to), expected, "{to}");
        }
    }

    #[test]
    fn status_codes_round_trip() {
        for status in ModelStatus::ALL {
            assert_eq!(status.code().parse::<ModelStatus>(), Ok(status));
            assert_eq!(serde_json::to_string(&status).expect("json"), format!("\"{}\"", status.code()));
        }
        assert_eq!("Champion".parse::<ModelStatus>(), Err(UnknownModelStatus("Champion".into())));
    }
}
