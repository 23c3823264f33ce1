//! TLS 1.2 key schedule: master secret (plain and extended, RFC 7627),
//! key block for AES-128-CCM suites, Finished verify_data.

use zeroize::Zeroize;

use crate::crypto::prf::prf;
use crate::record::DirectionKeys;

/// Length of the master secret.
pub const MASTER_LEN: usize = 48;
/// Length of Finished.verify_data (RFC 5246 7.4.9: 12 for every TLS 1.2 suite).
pub const VERIFY_DATA_LEN: usize = 12;

/// master_secret from the premaster secret. With `session_hash` (the
/// transcript hash through ClientKeyExchange) the RFC 7627 extended master
/// secret is computed; without it, the RFC 5246 one.
pub fn master_secret(
    pms: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    session_hash: Option<&[u8; 32]>,
    out: &mut [u8; MASTER_LEN],
) {
    match session_hash {
        Some(h) => prf(pms, b"extended master secret", &[h], out),
        None => prf(pms, b"master secret", &[client_random, server_random], out),
    }
}

/// Split the key block of an AES-128-CCM suite (no MAC keys, 16-byte
/// keys, 4-byte implicit IVs) into the client and server write keys.
pub fn key_block(
    master: &[u8; MASTER_LEN],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> (DirectionKeys, DirectionKeys) {
    let mut c = DirectionKeys { key: [0; 16], salt: [0; 4] };
    let mut s = DirectionKeys { key: [0; 16], salt: [0; 4] };
    key_block_into(master, client_random, server_random, &mut c, &mut s);
    (c, s)
}

/// [`key_block`] written straight into the record layer's keys (no
/// copy of them on the stack).
pub fn key_block_into(
    master: &[u8; MASTER_LEN],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    c: &mut DirectionKeys,
    s: &mut DirectionKeys,
) {
    let mut kb = [0u8; 40];
    prf(master, b"key expansion", &[server_random, client_random], &mut kb);
    c.key.copy_from_slice(&kb[0..16]);
    s.key.copy_from_slice(&kb[16..32]);
    c.salt.copy_from_slice(&kb[32..36]);
    s.salt.copy_from_slice(&kb[36..40]);
    kb.zeroize();
}

/// Finished.verify_data for the given side over `transcript_hash`.
pub fn verify_data(master: &[u8; MASTER_LEN], from_client: bool, transcript_hash: &[u8; 32]) -> [u8; VERIFY_DATA_LEN] {
    let label: &[u8] = if from_client { b"client finished" } else { b"server finished" };
    let mut out = [0u8; VERIFY_DATA_LEN];
    prf(master, label, &[transcript_hash], &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer test for the whole PSK key schedule, computed with an
    /// independent implementation (Python's hmac/hashlib, see
    /// tests/vectors/keyschedule.py) for PSK 00..0f.
    #[test]
    fn psk_key_schedule_known_answer() {
        let mut pms = [0u8; 36];
        let n =
            crate::keyex::psk::premaster(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], &mut pms).unwrap();
        let cr = [0x11u8; 32];
        let sr = [0x22u8; 32];
        let mut ms = [0u8; 48];
        master_secret(&pms[..n], &cr, &sr, None, &mut ms);
        let (c, s) = key_block(&ms, &cr, &sr);
        let vd = verify_data(&ms, true, &[0x33; 32]);
        let mut ems = [0u8; 48];
        master_secret(&pms[..n], &cr, &sr, Some(&[0x44; 32]), &mut ems);
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<std::string::String>();
        let got = format!(
            "{} {} {} {} {} {} {}",
            hex(&ms),
            hex(&c.key),
            hex(&s.key),
            hex(&c.salt),
            hex(&s.salt),
            hex(&vd),
            hex(&ems)
        );
        let want = include_str!("../tests/vectors/keyschedule.txt").trim();
        assert_eq!(got, want);
    }
}
