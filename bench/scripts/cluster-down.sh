#!/usr/bin/env bash
# Stops what cluster-up.sh started (hard: benchmark data is thrown away anyway).
pkill -9 -f ostream-broker.dll || true
pkill -9 -f 'azurite/dist/src/azurite.js' || true
sleep 1
