//! Normalization tests.

use super::*;
