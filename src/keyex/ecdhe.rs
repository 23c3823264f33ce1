//! The ECDHE premaster secret on P-256 (RFC 8422 sections 5.4, 5.7, 5.10)
//! and what the ServerKeyExchange signature covers.

use zeroize::Zeroizing;

use crate::crypto::ecc::{self, POINT_LEN, SCALAR_LEN};
use crate::crypto::sha256::Sha256;
use crate::error::{Error, Fatal};

/// Length of the ECDHE premaster secret (the x coordinate).
pub const PREMASTER_LEN: usize = 32;

/// The hash the server signs in its ServerKeyExchange: client random,
/// server random, ServerECDHParams (RFC 8422 5.4).
pub fn signed_params_hash(client_random: &[u8; 32], server_random: &[u8; 32], params: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(client_random);
    h.update(server_random);
    h.update(params);
    h.digest()
}

/// Client: a fresh ephemeral key pair from `rng`, the premaster secret
/// with the server's (validated) point into `pms`; returns our point for
/// the ClientKeyExchange. Errors here are ours (the server's point was
/// checked when its ServerKeyExchange was accepted).
pub(crate) fn client_share(
    rng: &mut dyn FnMut(&mut [u8]) -> Result<(), Error>,
    server_point: &[u8; POINT_LEN],
    pms: &mut [u8],
) -> Result<[u8; POINT_LEN], Fatal> {
    let mut eph = Zeroizing::new([0u8; SCALAR_LEN]);
    let mut point = [0u8; POINT_LEN];
    ecc::generate(rng, &mut eph, &mut point).map_err(|_| Fatal::internal(Error::Rng))?;
    let dst: &mut [u8; PREMASTER_LEN] =
        pms.get_mut(..PREMASTER_LEN).and_then(|d| d.try_into().ok()).ok_or(Fatal::internal(Error::Internal))?;
    ecc::ecdh(&eph, server_point, dst).map_err(|_| Fatal::internal(Error::Internal))?;
    Ok(point)
}

/// Server: the premaster secret from our ephemeral key and the client's
/// point into `pms`. A point that is not on the curve is the client's
/// fault: illegal_parameter.
pub(crate) fn server_shared(
    eph_scalar: &[u8; SCALAR_LEN],
    client_point: &[u8],
    pms: &mut [u8; PREMASTER_LEN],
) -> Result<(), Fatal> {
    ecc::ecdh(eph_scalar, client_point, pms).map_err(|_| Fatal::alert(crate::alert::ILLEGAL_PARAMETER))
}
