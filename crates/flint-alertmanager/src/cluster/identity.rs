//! Who a peer is: a name (a ULID, as upstream's peers are named), the advertised address,
//! and a bump counter that lets a peer declared down rejoin at once under a fresh identity.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// A cluster member's identity as foca sees it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PeerId {
    /// The advertised address (UDP and TCP on the same port).
    pub addr: SocketAddr,
    /// The peer's name: a ULID made at start, so older peers sort first.
    pub name: String,
    /// Raised each time the peer renews its identity after being declared down.
    pub bump: u32,
}

impl std::fmt::Debug for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}#{}", self.name, self.addr, self.bump)
    }
}

impl PeerId {
    /// A new identity with a fresh name.
    pub fn new(addr: SocketAddr) -> Self {
        PeerId {
            addr,
            name: ulid(wall_millis(), fastrand::u128(..)),
            bump: 0,
        }
    }

    /// An identity that only names an address: foca accepts announcements sent to any
    /// identity with the receiver's address, which is how we join peers known by address.
    pub fn address_only(addr: SocketAddr) -> Self {
        PeerId {
            addr,
            name: String::new(),
            bump: 0,
        }
    }
}

impl foca::Identity for PeerId {
    type Addr = SocketAddr;

    fn renew(&self) -> Option<Self> {
        Some(PeerId {
            addr: self.addr,
            name: self.name.clone(),
            bump: self.bump.wrapping_add(1),
        })
    }

    fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A restarted peer (later ULID) or a renewed one (higher bump) wins.
    fn win_addr_conflict(&self, adversary: &Self) -> bool {
        (&self.name, self.bump) > (&adversary.name, adversary.bump)
    }
}

fn wall_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A ULID: 48 bits of milliseconds then 80 random bits, in Crockford's base 32.
pub fn ulid(millis: u64, random: u128) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let v: u128 = (u128::from(millis & 0xffff_ffff_ffff) << 80) | (random & ((1u128 << 80) - 1));
    (0..26)
        .map(|i| {
            let shift = 125 - 5 * i;
            char::from(ALPHABET[((v >> shift) & 0x1f) as usize])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use foca::Identity;

    #[test]
    fn ulids_sort_by_time() {
        let a = ulid(1_700_000_000_000, u128::MAX);
        let b = ulid(1_700_000_000_001, 0);
        assert_eq!(a.len(), 26);
        assert!(a < b);
        assert_eq!(ulid(0, 0), "00000000000000000000000000");
        // Upstream's example ULID's timestamp part.
        assert!(ulid(1_469_918_176_385, 0).starts_with("01ARYZ6S41"));
    }

    #[test]
    fn renewed_and_restarted_identities_win() {
        let addr: SocketAddr = "127.0.0.1:9094".parse().expect("addr");
        let a = PeerId::new(addr);
        let r = a.renew().expect("renews");
        assert!(r.win_addr_conflict(&a) && !a.win_addr_conflict(&r));
        let restarted = PeerId {
            name: ulid(wall_millis() + 10, 0),
            ..a.clone()
        };
        assert!(restarted.win_addr_conflict(&r));
    }
}
