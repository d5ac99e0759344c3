//! Arbitrary bytes as an application body through `ApplicationRequest::from_json`: never a panic or a stack
//! overflow, every refusal quotes little of the input, and an accepted request's canonical form reads back as the
//! same request with the same hash.

#![no_main]

use decide::request::ApplicationRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match ApplicationRequest::from_json(data) {
        Ok(request) => {
            let canonical = request.to_json().to_string();
            let again = ApplicationRequest::from_json(canonical.as_bytes()).expect("the canonical form is valid");
            assert_eq!(again, request);
            assert_eq!(again.sha256(), request.sha256());
        }
        Err(refusal) => {
            assert!(refusal.message.chars().count() < 1_000, "a long refusal: {refusal}");
        }
    }
});
