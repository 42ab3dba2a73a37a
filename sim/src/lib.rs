//! The local Kompliant simulator.
