//! Request attributes, as rules 2.9, 3.4 and 5 apply them.

use super::Verifier;
use crate::contract::{Attributes, DropReason, Object};
use crate::reference::requirement as req;

impl Verifier<'_> {
    /// Request attributes: those a JWT claim also sets are dropped `overridden_by_jwt`, locked
    /// ones `locked_attribute`, the rest applied.
    pub(super) fn request_attributes(
        &mut self,
        sent: &Object,
        rule: &'static str,
        set_by_claims: &[String],
    ) -> Attributes {
        let mut attributes = Attributes::default();
        let (mut overridden, mut locked, mut applied) = (Vec::new(), Vec::new(), Vec::new());
        for (name, value) in sent {
            if set_by_claims.contains(name) {
                attributes
                    .dropped
                    .insert(name.clone(), DropReason::OverriddenByJwt);
                overridden.push(name.as_str());
            } else if self.locked(name) {
                attributes
                    .dropped
                    .insert(name.clone(), DropReason::LockedAttribute);
                locked.push(name.as_str());
            } else {
                attributes.applied.insert(name.clone(), value.clone());
                applied.push(name.as_str());
            }
        }
        if !overridden.is_empty() {
            self.pass(req::ATTR_OVERRIDDEN_BY_JWT, rule, || {
                format!(
                    "request attributes the JWT also sets are dropped overridden_by_jwt: {}",
                    overridden.join(", ")
                )
            });
        }
        if !locked.is_empty() {
            self.pass(req::ATTR_LOCKED, rule, || {
                format!("locked request attributes are dropped locked_attribute (only a valid JWT may change them): {}", locked.join(", "))
            });
        }
        if !applied.is_empty() {
            self.pass(req::ATTR_UNLOCKED, rule, || {
                format!(
                    "unlocked request attributes applied: {}",
                    applied.join(", ")
                )
            });
        }
        attributes
    }
}
