//! Call sessions: one row per call through a PBX, built from webhook events that arrive
//! at least once and in any order (Zadarma spec §5: duplicates, END before START, RECORD
//! after END, missing START). Each event becomes a [`CallPatch`]; [`CallSessionState::merge`]
//! folds it into the session with rules chosen so that every arrival order of the same
//! events ends in the same state (each field's rule is commutative, associative and
//! idempotent), and reports what changed so the caller acts on a transition exactly once.

use crate::{AccountId, CallId, CompanyId, ContactId, IntegrationId, LeadId, NoteId, UserId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallDirection {
    #[default]
    Inbound,
    Outbound,
}

impl CallDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            CallDirection::Inbound => "inbound",
            CallDirection::Outbound => "outbound",
        }
    }
    pub fn parse(s: &str) -> Option<CallDirection> {
        match s {
            "inbound" => Some(CallDirection::Inbound),
            "outbound" => Some(CallDirection::Outbound),
            _ => None,
        }
    }
}

/// Where a call is in its life. Ordered: a session only moves forward.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum CallState {
    #[default]
    Ringing,
    Answered,
    Ended,
}

impl CallState {
    pub fn as_str(self) -> &'static str {
        match self {
            CallState::Ringing => "ringing",
            CallState::Answered => "answered",
            CallState::Ended => "ended",
        }
    }
    pub fn parse(s: &str) -> Option<CallState> {
        match s {
            "ringing" => Some(CallState::Ringing),
            "answered" => Some(CallState::Answered),
            "ended" => Some(CallState::Ended),
            _ => None,
        }
    }
}

/// What became of the call's recording file. Written by the download job, not by merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordingStatus {
    /// The PBX has a recording; we have not stored it yet.
    Pending,
    Stored,
    /// Gave up (the PBX refused or the link expired).
    Failed,
}

impl RecordingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordingStatus::Pending => "pending",
            RecordingStatus::Stored => "stored",
            RecordingStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<RecordingStatus> {
        match s {
            "pending" => Some(RecordingStatus::Pending),
            "stored" => Some(RecordingStatus::Stored),
            "failed" => Some(RecordingStatus::Failed),
            _ => None,
        }
    }
}

/// The disposition that counts as answered; anything else at the end is a missed call.
pub const DISPOSITION_ANSWERED: &str = "answered";

/// What one event tells about a call. Every field is optional: an event carries only
/// what it knows. `state` is the state the event proves (START/INTERNAL/OUT_START:
/// ringing, ANSWER: answered, END/OUT_END: ended, RECORD: none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallPatch {
    pub direction: CallDirection,
    pub state: Option<CallState>,
    pub customer_phone: Option<String>,
    pub customer_e164: Option<String>,
    pub our_number: Option<String>,
    pub extension: Option<String>,
    /// The user bound to `extension` (or the user the call was routed to).
    pub user_id: Option<UserId>,
    pub disposition: Option<String>,
    pub duration_s: Option<i64>,
    pub started_at: Option<i64>,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub recording_id: Option<String>,
    pub caller_name: Option<String>,
    pub contact_id: Option<ContactId>,
    pub company_id: Option<CompanyId>,
    pub lead_id: Option<LeadId>,
    pub note_id: Option<NoteId>,
}

/// The mergeable content of a call session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSessionState {
    pub direction: CallDirection,
    pub state: CallState,
    /// The outside party as the PBX sent it.
    pub customer_phone: Option<String>,
    pub customer_e164: Option<String>,
    pub our_number: Option<String>,
    pub extension: Option<String>,
    /// True when `extension` was reported by an answer or end event (the extension that
    /// handled the call last), false when it was only rung.
    pub extension_final: bool,
    pub user_id: Option<UserId>,
    pub disposition: Option<String>,
    pub duration_s: Option<i64>,
    pub started_at: Option<i64>,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub recording_id: Option<String>,
    pub recording_path: Option<String>,
    pub recording_status: Option<RecordingStatus>,
    pub contact_id: Option<ContactId>,
    pub company_id: Option<CompanyId>,
    pub lead_id: Option<LeadId>,
    pub note_id: Option<NoteId>,
    pub caller_name: Option<String>,
}

/// What a merge did, so the caller reacts to a transition once (the store runs the merge
/// under a row lock, so exactly one event sees each transition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallChanges {
    /// The session did not exist before this event.
    pub created: bool,
    /// Anything stored changed (false for a duplicate delivery).
    pub changed: bool,
    /// `None` when the session was created by this event.
    pub state_from: Option<CallState>,
    pub state_to: CallState,
    /// A recording id arrived for the first time.
    pub recording_added: bool,
}

impl CallChanges {
    /// The session reached `s` with this event (and was not in it before).
    pub fn became(&self, s: CallState) -> bool {
        self.state_to == s && self.state_from != Some(s)
    }
}

fn first<T: Clone>(current: &mut Option<T>, new: &Option<T>) {
    if current.is_none() {
        current.clone_from(new);
    }
}

fn earliest(current: &mut Option<i64>, new: Option<i64>) {
    *current = match (*current, new) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
}

impl CallSessionState {
    pub fn new(direction: CallDirection) -> Self {
        CallSessionState {
            direction,
            ..Default::default()
        }
    }

    /// Folds one event into the session. Rules:
    /// - `state` only moves forward (ringing < answered < ended): the maximum wins.
    /// - `started_at`, `answered_at`, `ended_at`: the earliest reported time wins.
    /// - `extension` and `user_id` travel together, ranked: a value reported by an
    ///   answer/end event replaces one from a ringing event, and a value with an
    ///   extension replaces a bare user. At equal rank the events normally agree (one
    ///   answering extension; its user filled in when resolved); when they do not (several
    ///   extensions rung, none answered) the greater value is kept, so the result does not
    ///   depend on arrival order.
    /// - every other field (direction, numbers, disposition, duration, recording id,
    ///   caller name, links): the first non-null value is kept; a duplicate or a later
    ///   event never overwrites it. END fields are therefore set once.
    /// - `recording_status` becomes pending when a recording id first appears.
    pub fn merge(&mut self, p: &CallPatch) -> CallChanges {
        let before = self.clone();
        if let Some(s) = p.state {
            self.state = self.state.max(s);
        }
        first(&mut self.customer_phone, &p.customer_phone);
        first(&mut self.customer_e164, &p.customer_e164);
        first(&mut self.our_number, &p.our_number);
        first(&mut self.disposition, &p.disposition);
        first(&mut self.duration_s, &p.duration_s);
        first(&mut self.recording_id, &p.recording_id);
        first(&mut self.caller_name, &p.caller_name);
        first(&mut self.contact_id, &p.contact_id);
        first(&mut self.company_id, &p.company_id);
        first(&mut self.lead_id, &p.lead_id);
        first(&mut self.note_id, &p.note_id);
        earliest(&mut self.started_at, p.started_at);
        earliest(&mut self.answered_at, p.answered_at);
        earliest(&mut self.ended_at, p.ended_at);
        self.merge_extension(p);
        if self.recording_id.is_some() && self.recording_status.is_none() {
            self.recording_status = Some(RecordingStatus::Pending);
        }
        CallChanges {
            created: false,
            changed: *self != before,
            state_from: Some(before.state),
            state_to: self.state,
            recording_added: before.recording_id.is_none() && self.recording_id.is_some(),
        }
    }

    fn merge_extension(&mut self, p: &CallPatch) {
        if p.extension.is_none() && p.user_id.is_none() {
            return;
        }
        let is_final = p.state.is_some_and(|s| s >= CallState::Answered);
        // A join (maximum) over (rank, extension, user): order-independent by construction.
        let new = (is_final, p.extension.as_deref(), p.user_id);
        let cur = (
            self.extension_final,
            self.extension.as_deref(),
            self.user_id,
        );
        if new > cur {
            self.extension_final = is_final;
            self.extension.clone_from(&p.extension);
            self.user_id = p.user_id;
        }
    }

    /// An inbound call that ended without being answered.
    pub fn is_missed(&self) -> bool {
        self.direction == CallDirection::Inbound
            && self.state == CallState::Ended
            && self.disposition.as_deref() != Some(DISPOSITION_ANSWERED)
    }
}

/// A stored call session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSession {
    pub id: CallId,
    pub account_id: AccountId,
    pub integration_id: IntegrationId,
    /// The PBX's permanent call id (Zadarma `pbx_call_id`).
    pub provider_call_id: String,
    pub data: CallSessionState,
    pub created_at: i64,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const T: i64 = 1_800_000_000_000;

    fn ev(state: Option<CallState>) -> CallPatch {
        CallPatch {
            direction: CallDirection::Inbound,
            state,
            customer_phone: Some("34600111222".into()),
            customer_e164: Some("+34600111222".into()),
            our_number: Some("34911234567".into()),
            started_at: Some(T),
            ..Default::default()
        }
    }

    fn with_ext(mut p: CallPatch, ext: &str, user: i64) -> CallPatch {
        p.extension = Some(ext.into());
        p.user_id = Some(UserId(user));
        p
    }

    fn record(rec: &str) -> CallPatch {
        CallPatch {
            recording_id: Some(rec.into()),
            ..Default::default()
        }
    }

    fn end(disposition: &str, duration: i64) -> CallPatch {
        let mut p = ev(Some(CallState::Ended));
        p.disposition = Some(disposition.into());
        p.duration_s = Some(duration);
        p.ended_at = Some(T + 40_000);
        p
    }

    fn answered_in() -> Vec<CallPatch> {
        let start = ev(Some(CallState::Ringing));
        let rung1 = with_ext(ev(Some(CallState::Ringing)), "101", 1);
        let rung2 = with_ext(ev(Some(CallState::Ringing)), "102", 2);
        let mut answer = with_ext(ev(Some(CallState::Answered)), "102", 2);
        answer.answered_at = Some(T + 5_000);
        let mut end = with_ext(end("answered", 35), "102", 2);
        end.recording_id = Some("1715674503.1234567".into());
        vec![
            start,
            rung1,
            rung2,
            answer,
            end,
            record("1715674503.1234567"),
        ]
    }

    fn missed_in() -> Vec<CallPatch> {
        vec![
            ev(Some(CallState::Ringing)),
            with_ext(ev(Some(CallState::Ringing)), "101", 1),
            with_ext(ev(Some(CallState::Ringing)), "102", 2),
            // The service's routing decision: a user without an extension.
            CallPatch {
                user_id: Some(UserId(9)),
                state: Some(CallState::Ringing),
                ..Default::default()
            },
            end("cancel", 0),
        ]
    }

    fn outbound() -> Vec<CallPatch> {
        let out = |state| {
            let mut p = with_ext(ev(Some(state)), "101", 1);
            p.direction = CallDirection::Outbound;
            p.our_number = None;
            p
        };
        let mut answer = out(CallState::Answered);
        answer.extension = None;
        answer.user_id = None;
        answer.answered_at = Some(T + 3_000);
        let mut out_end = out(CallState::Ended);
        out_end.our_number = Some("34911234567".into());
        out_end.disposition = Some("answered".into());
        out_end.duration_s = Some(12);
        out_end.ended_at = Some(T + 20_000);
        let mut rec = record("r-out");
        rec.direction = CallDirection::Outbound;
        vec![out(CallState::Ringing), answer, out_end, rec]
    }

    /// Applies events in order; returns the final state and how many times each
    /// one-shot transition was reported.
    fn fold(events: &[&CallPatch]) -> (CallSessionState, usize, usize, usize) {
        let mut s = CallSessionState::new(events[0].direction);
        let (mut ended, mut answered, mut recs) = (0, 0, 0);
        for (i, p) in events.iter().enumerate() {
            let mut ch = s.merge(p);
            if i == 0 {
                ch.created = true;
                ch.state_from = None;
            }
            ended += usize::from(ch.became(CallState::Ended));
            answered += usize::from(ch.became(CallState::Answered));
            recs += usize::from(ch.recording_added);
        }
        (s, ended, answered, recs)
    }

    /// Every permutation (Heap's algorithm).
    fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
        let mut a = items.to_vec();
        let mut c = vec![0usize; a.len()];
        let mut out = vec![a.clone()];
        let mut i = 0;
        while i < a.len() {
            if c[i] < i {
                if i % 2 == 0 {
                    a.swap(0, i);
                } else {
                    a.swap(c[i], i);
                }
                out.push(a.clone());
                c[i] += 1;
                i = 0;
            } else {
                c[i] = 0;
                i += 1;
            }
        }
        out
    }

    /// Every order of the events, and every order with each event delivered twice
    /// (pseudo-random interleavings), ends in the same state with each transition once.
    fn assert_converges(events: &[CallPatch]) -> CallSessionState {
        let refs: Vec<&CallPatch> = events.iter().collect();
        let (expected, ..) = fold(&refs);
        let perms = permutations(&refs);
        assert!(perms.len() >= 24);
        for order in &perms {
            let (got, ended, _, recs) = fold(order);
            assert_eq!(got, expected, "order {order:?}");
            assert_eq!(ended, usize::from(expected.state == CallState::Ended));
            assert_eq!(recs, usize::from(expected.recording_id.is_some()));
        }
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..500 {
            let mut doubled: Vec<&CallPatch> = refs.iter().chain(refs.iter()).copied().collect();
            for i in (1..doubled.len()).rev() {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let j = (seed >> 33) as usize % (i + 1);
                doubled.swap(i, j);
            }
            let (got, ended, answered, recs) = fold(&doubled);
            assert_eq!(got, expected);
            assert!(ended <= 1 && answered <= 1 && recs <= 1);
        }
        expected
    }

    #[test]
    fn answered_incoming_call_converges_in_any_order() {
        let s = assert_converges(&answered_in());
        assert_eq!(s.state, CallState::Ended);
        assert_eq!(s.extension.as_deref(), Some("102"));
        assert_eq!(s.user_id, Some(UserId(2)));
        assert!(s.extension_final);
        assert_eq!(s.started_at, Some(T));
        assert_eq!(s.answered_at, Some(T + 5_000));
        assert_eq!(s.ended_at, Some(T + 40_000));
        assert_eq!(s.duration_s, Some(35));
        assert_eq!(s.recording_status, Some(RecordingStatus::Pending));
        assert!(!s.is_missed());
    }

    #[test]
    fn missed_incoming_call_converges_in_any_order() {
        let s = assert_converges(&missed_in());
        assert!(s.is_missed());
        assert_eq!(s.disposition.as_deref(), Some("cancel"));
        // Two rung extensions, none answered: a deterministic pick.
        assert_eq!(s.extension.as_deref(), Some("102"));
        assert!(!s.extension_final);
        assert_eq!(s.recording_id, None);
        assert_eq!(s.recording_status, None);
    }

    #[test]
    fn outbound_call_converges_in_any_order() {
        let s = assert_converges(&outbound());
        assert_eq!(s.direction, CallDirection::Outbound);
        assert_eq!(s.extension.as_deref(), Some("101"));
        assert_eq!(s.user_id, Some(UserId(1)));
        assert_eq!(s.our_number.as_deref(), Some("34911234567"));
        assert_eq!(s.recording_id.as_deref(), Some("r-out"));
        assert!(!s.is_missed());
    }

    #[test]
    fn state_never_moves_back() {
        let table = [
            (
                CallState::Ringing,
                Some(CallState::Answered),
                CallState::Answered,
            ),
            (
                CallState::Answered,
                Some(CallState::Ringing),
                CallState::Answered,
            ),
            (CallState::Ended, Some(CallState::Ringing), CallState::Ended),
            (
                CallState::Ended,
                Some(CallState::Answered),
                CallState::Ended,
            ),
            (CallState::Ringing, Some(CallState::Ended), CallState::Ended),
            (CallState::Answered, None, CallState::Answered),
        ];
        for (from, patch, to) in table {
            let mut s = CallSessionState {
                state: from,
                ..Default::default()
            };
            let ch = s.merge(&CallPatch {
                state: patch,
                ..Default::default()
            });
            assert_eq!(s.state, to, "{from:?} + {patch:?}");
            assert_eq!(ch.changed, from != to);
            assert_eq!(ch.became(to), from != to);
        }
    }

    #[test]
    fn end_fields_are_set_once_and_duplicates_change_nothing() {
        let mut s = CallSessionState::default();
        assert!(s.merge(&end("no answer", 0)).changed);
        let again = s.merge(&end("no answer", 0));
        assert!(!again.changed && !again.became(CallState::Ended));
        s.merge(&end("answered", 99));
        assert_eq!(s.disposition.as_deref(), Some("no answer"));
        assert_eq!(s.duration_s, Some(0));
    }

    #[test]
    fn extension_ranking() {
        // (stored extension, stored final?, patch extension, patch state, expected, expected final)
        type Case = (
            Option<&'static str>,
            bool,
            &'static str,
            CallState,
            &'static str,
            bool,
        );
        let table: [Case; 6] = [
            (None, false, "101", CallState::Ringing, "101", false),
            (Some("101"), false, "102", CallState::Answered, "102", true),
            (Some("102"), true, "101", CallState::Ringing, "102", true),
            (Some("102"), true, "102", CallState::Ended, "102", true),
            (Some("101"), false, "100", CallState::Ringing, "101", false),
            (Some("100"), false, "101", CallState::Ringing, "101", false),
        ];
        for (stored, fin, ext, state, want, want_final) in table {
            let mut s = CallSessionState {
                extension: stored.map(str::to_string),
                extension_final: fin,
                ..Default::default()
            };
            s.merge(&CallPatch {
                state: Some(state),
                extension: Some(ext.into()),
                ..Default::default()
            });
            assert_eq!(
                (s.extension.as_deref(), s.extension_final),
                (Some(want), want_final)
            );
        }
        // The user of an extension is filled in when it gets resolved later.
        let mut s = CallSessionState::default();
        s.merge(&CallPatch {
            state: Some(CallState::Answered),
            extension: Some("101".into()),
            ..Default::default()
        });
        s.merge(&with_ext(
            CallPatch {
                state: Some(CallState::Ended),
                ..Default::default()
            },
            "101",
            7,
        ));
        assert_eq!(s.user_id, Some(UserId(7)));
    }

    #[test]
    fn names_round_trip() {
        for d in [CallDirection::Inbound, CallDirection::Outbound] {
            assert_eq!(CallDirection::parse(d.as_str()), Some(d));
        }
        for st in [CallState::Ringing, CallState::Answered, CallState::Ended] {
            assert_eq!(CallState::parse(st.as_str()), Some(st));
        }
        for r in [
            RecordingStatus::Pending,
            RecordingStatus::Stored,
            RecordingStatus::Failed,
        ] {
            assert_eq!(RecordingStatus::parse(r.as_str()), Some(r));
        }
    }
}
