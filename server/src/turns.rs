//! The order in which the sync thread takes what connections sent: in turns, one event per
//! connection per round, each connection's own events in the order they came. A connection
//! with many frames waiting (a flood, or just a big upload) then delays another device by
//! about one of its frames, not by all of them.

use std::collections::{HashMap, VecDeque};

/// Events by the connection they belong to (`None`: the relay's own, such as stopping, taken
/// once no connection has anything waiting).
pub struct Turns<E> {
    queues: HashMap<u64, VecDeque<E>>,
    /// Connections with events waiting, in the order of their next turn.
    order: VecDeque<u64>,
    own: VecDeque<E>,
    len: usize,
}

impl<E> Default for Turns<E> {
    fn default() -> Self {
        Turns {
            queues: HashMap::new(),
            order: VecDeque::new(),
            own: VecDeque::new(),
            len: 0,
        }
    }
}

impl<E> Turns<E> {
    pub fn push(&mut self, conn: Option<u64>, event: E) {
        self.len += 1;
        let Some(conn) = conn else {
            self.own.push_back(event);
            return;
        };
        let queue = self.queues.entry(conn).or_default();
        if queue.is_empty() {
            self.order.push_back(conn);
        }
        queue.push_back(event);
    }

    /// The events waiting, in no particular order.
    pub fn waiting(&self) -> impl Iterator<Item = &E> {
        self.queues.values().flatten().chain(&self.own)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<E> Iterator for Turns<E> {
    type Item = E;

    /// The next event: the first of the connection whose turn it is.
    fn next(&mut self) -> Option<E> {
        let event = match self.order.pop_front() {
            Some(conn) => {
                let queue = self.queues.get_mut(&conn).expect("queued");
                let event = queue.pop_front().expect("not empty");
                if queue.is_empty() {
                    self.queues.remove(&conn);
                } else {
                    self.order.push_back(conn);
                }
                event
            }
            None => self.own.pop_front()?,
        };
        self.len -= 1;
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_take_turns_and_the_relays_own_events_come_last() {
        let mut turns = Turns::default();
        for n in 0..4 {
            turns.push(Some(1), format!("flood {n}"));
        }
        turns.push(None, "stop".to_string());
        turns.push(Some(2), "edit".to_string());
        turns.push(Some(2), "ack".to_string());
        let order: Vec<_> = turns.by_ref().collect();
        assert_eq!(
            order,
            [
                "flood 0", "edit", "flood 1", "ack", "flood 2", "flood 3", "stop"
            ]
        );
        assert!(turns.is_empty());
    }
}
