//! Arbitrary text through the core's payload parser (core/src/json.rs), differentially
//! against serde_json: the parser accepts exactly the JSON objects serde_json accepts (except
//! numbers outside f64's range, which the parser hands over as text), rebuilds the same value
//! through a sink, never panics, and never quotes the text in an error.

#![no_main]

use kompliant_webhooks::json::{parse_object, CheckOnly, JsonSink, ParseError};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// Builds serde_json values, numbers through serde_json from their text.
struct ToValue;

impl JsonSink for ToValue {
    type Value = Value;
    type Key = String;
    type Array = Vec<Value>;
    type Object = Map<String, Value>;
    type Error = ();

    fn null(&mut self) -> Result<Value, ()> {
        Ok(Value::Null)
    }
    fn boolean(&mut self, v: bool) -> Result<Value, ()> {
        Ok(Value::Bool(v))
    }
    fn integer(&mut self, t: &str) -> Result<Value, ()> {
        serde_json::from_str(t).map_err(|_| ())
    }
    fn float(&mut self, t: &str) -> Result<Value, ()> {
        serde_json::from_str(t).map_err(|_| ())
    }
    fn string(&mut self, s: &str) -> Result<Value, ()> {
        Ok(Value::String(s.to_owned()))
    }
    fn key(&mut self, s: &str) -> Result<String, ()> {
        Ok(s.to_owned())
    }
    fn begin_array(&mut self) -> Result<Vec<Value>, ()> {
        Ok(Vec::new())
    }
    fn push(&mut self, a: &mut Vec<Value>, v: Value) -> Result<(), ()> {
        a.push(v);
        Ok(())
    }
    fn end_array(&mut self, a: Vec<Value>) -> Result<Value, ()> {
        Ok(Value::Array(a))
    }
    fn begin_object(&mut self) -> Result<Map<String, Value>, ()> {
        Ok(Map::new())
    }
    fn insert(&mut self, o: &mut Map<String, Value>, k: String, v: Value) -> Result<(), ()> {
        o.insert(k, v);
        Ok(())
    }
    fn end_object(&mut self, o: Map<String, Value>) -> Result<Value, ()> {
        Ok(Value::Object(o))
    }
}

fuzz_target!(|text: &str| {
    let checked = parse_object(text, &mut CheckOnly);
    let theirs = serde_json::from_str::<Value>(text);
    match (&checked, &theirs) {
        (Ok(()), Ok(value)) => {
            assert!(value.is_object(), "accepted a non-object");
            let ours = parse_object(text, &mut ToValue).expect("the sink agrees with the check");
            assert_eq!(&ours, value, "built a different value");
        }
        (Ok(()), Err(e)) => assert!(
            e.to_string().contains("number out of range"),
            "accepted what serde_json refuses: {e}"
        ),
        (Err(ParseError::Syntax(_)), Ok(value)) => assert!(!value.is_object(), "refused a JSON object serde_json accepts"),
        (Err(ParseError::Syntax(_)), Err(_)) => {}
        (Err(ParseError::Sink(never)), _) => match *never {},
    }
    if let Err(ParseError::Syntax(e)) = &checked {
        let message = e.to_string();
        // Never quotes content: a message is one of the parser's fixed texts with positions.
        assert!(message.len() < 160, "{message}");
        for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() >= 12) {
            assert!(!message.contains(word), "quoted the input: {message}");
        }
    }
});
