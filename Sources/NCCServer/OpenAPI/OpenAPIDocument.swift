// The OpenAPI 3 document of the API, served at /v1/openapi.json.
// Keep it identical to docs/openapi.json (a test checks they agree).

/// The OpenAPI 3 document served at `/v1/openapi.json`.
enum OpenAPIDocument {
    /// The document, JSON text.
    static let json = #"""
{
  "openapi": "3.0.3",
  "info": {
    "title": "nccmatch hash bank",
    "version": "1.0.0",
    "description": "A privacy-preserving hash bank for taking down non-consensual intimate images. Victims open cases with hashes only (never images); platforms match batches of hashes of uploads and report what their review concluded. The bank is never exported: a platform learns only whether the hashes it sends match, through opaque match references. Every 4xx and 5xx answer has the body {\"error\": {\"code\", \"message\"}} with a stable code."
  },
  "servers": [
    {
      "url": "http://127.0.0.1:8080"
    }
  ],
  "paths": {
    "/v1/cases": {
      "post": {
        "summary": "Open a case with hashes of one or more pictures",
        "description": "No authorization. Answers the case id and a secret, shown only this once. PDQ hashes need their quality score; under 50 they are refused (listed in rejected) because such plain pictures cannot be matched reliably. When no hash is usable, 422 and no case.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/HashesRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Case opened",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CaseCreated"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "507": {
            "$ref": "#/components/responses/BankFull"
          }
        }
      }
    },
    "/v1/cases/{id}": {
      "parameters": [
        {
          "$ref": "#/components/parameters/CaseID"
        }
      ],
      "get": {
        "summary": "Status of a case (for its owner)",
        "description": "Per picture: how many platforms matched it and what they reported. Never which platform or its content ids.",
        "security": [
          {
            "caseSecret": []
          }
        ],
        "responses": {
          "200": {
            "description": "Status",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CaseStatus"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          }
        }
      },
      "delete": {
        "summary": "Withdraw a case",
        "description": "The case's hashes leave the matching index at once and are deleted from storage; an audit record without hashes remains. Idempotent. Answers the final status.",
        "security": [
          {
            "caseSecret": []
          }
        ],
        "responses": {
          "200": {
            "description": "Withdrawn",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CaseStatus"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          }
        }
      }
    },
    "/v1/cases/{id}/hashes": {
      "parameters": [
        {
          "$ref": "#/components/parameters/CaseID"
        }
      ],
      "post": {
        "summary": "Add hashes to an active case",
        "security": [
          {
            "caseSecret": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/HashesRequest"
              }
            }
          }
        },
        "responses": {
          "201": {
            "description": "Added",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/HashesAdded"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "409": {
            "description": "The case was withdrawn",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/Unprocessable"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          },
          "507": {
            "$ref": "#/components/responses/BankFull"
          }
        }
      }
    },
    "/v1/match": {
      "post": {
        "summary": "Match a batch of hashes (platforms)",
        "description": "Up to 10,000 items. Results come in item order; each match is an opaque match reference, unique per platform and bank picture. Items sharing an id are one upload. No distance is told unless the operator trusts the platform; max_distance narrows to fixed levels only. Each platform may match a daily budget of distinct bank pictures (429 match_budget_exhausted, nothing answered); many distinct near-boundary queries against one picture are treated as probing: those matches are withheld, the key is slowed (429 slowed_for_probing) and the audit log records it. See docs/service.md.",
        "security": [
          {
            "apiKey": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/MatchRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Results",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/MatchResponse"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Revoked"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/feedback": {
      "post": {
        "summary": "Report the outcome of a review (platforms)",
        "security": [
          {
            "apiKey": []
          }
        ],
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/FeedbackRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Recorded",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/FeedbackRecorded"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Revoked"
          },
          "404": {
            "description": "Not a match reference of this platform",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "409": {
            "description": "The picture was withdrawn",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "429": {
            "$ref": "#/components/responses/TooManyRequests"
          },
          "503": {
            "$ref": "#/components/responses/Unavailable"
          }
        }
      }
    },
    "/v1/openapi.json": {
      "get": {
        "summary": "This document",
        "responses": {
          "200": {
            "description": "OpenAPI 3 document"
          }
        }
      }
    },
    "/healthz": {
      "get": {
        "summary": "Liveness",
        "responses": {
          "200": {
            "description": "The process answers"
          }
        }
      }
    },
    "/readyz": {
      "get": {
        "summary": "Readiness",
        "responses": {
          "200": {
            "description": "The index is loaded"
          },
          "503": {
            "description": "Still loading",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics (text format 0.0.4)",
        "responses": {
          "200": {
            "description": "Requests, latencies, match counts, index sizes"
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "caseSecret": {
        "type": "http",
        "scheme": "bearer",
        "description": "The case secret received when the case was opened. Wrong secrets and unknown case ids are counted per client address (429 too_many_attempts), never per case, so nobody can lock a case's owner out."
      },
      "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A platform API key from `nccmatch admin platform add`. Rate limited per key over requests and hashes (429 with Retry-After)."
      }
    },
    "parameters": {
      "CaseID": {
        "name": "id",
        "in": "path",
        "required": true,
        "schema": {
          "type": "string",
          "pattern": "^c_[0-9a-f]{32}$"
        }
      }
    },
    "responses": {
      "BadRequest": {
        "description": "malformed_json, empty_body, unknown_field, missing_field, invalid_field, unknown_algorithm, invalid_hash, no_hashes, no_items, invalid_max_distance, unknown_outcome, malformed_body (a broken or cut-off body), malformed_request (unreadable HTTP)",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unauthorized": {
        "description": "secret_required, case_credentials_invalid, api_key_required, api_key_invalid",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Revoked": {
        "description": "api_key_revoked",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TooLarge": {
        "description": "body_too_large (over 4 MiB by default), too_many_items (over 10,000)",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unprocessable": {
        "description": "no_usable_hashes: nothing could be added",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "TooManyRequests": {
        "description": "rate_limited, too_many_attempts (wrong secrets or unknown cases from one client address), too_many_cases (cases opened from one client address), match_budget_exhausted, slowed_for_probing; see the Retry-After header (seconds)",
        "headers": {
          "Retry-After": {
            "schema": {
              "type": "integer"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "Unavailable": {
        "description": "busy (too many secret checks at once), not_ready, database_unavailable, store_unavailable; see Retry-After",
        "headers": {
          "Retry-After": {
            "schema": {
              "type": "integer"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "BankFull": {
        "description": "bank_full: the bank holds its configured maximum of hashes; nothing was stored",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      },
      "MethodNotAllowed": {
        "description": "method_not_allowed; the Allow header lists the methods the path takes",
        "headers": {
          "Allow": {
            "schema": {
              "type": "string"
            }
          }
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      }
    },
    "schemas": {
      "Algorithm": {
        "type": "string",
        "enum": [
          "pdq",
          "phash",
          "dhash",
          "md5",
          "sha256"
        ]
      },
      "Hash": {
        "description": "A hash of one picture; values no real picture gives are refused (implausible_hash): PDQ with fewer than 96 or more than 128 bits set or four equal 64-bit words, pHash outside 16-32 bits set, dHash outside 2-62. pHash and dHash are kept only beside an accepted PDQ of the same picture in the same request (pdq_required).",
        "oneOf": [
          {
            "$ref": "#/components/schemas/HashPDQ"
          },
          {
            "$ref": "#/components/schemas/Hash64"
          },
          {
            "$ref": "#/components/schemas/HashMD5"
          },
          {
            "$ref": "#/components/schemas/HashSHA256"
          }
        ]
      },
      "HashesRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "hashes"
        ],
        "properties": {
          "hashes": {
            "type": "array",
            "minItems": 1,
            "maxItems": 10000,
            "items": {
              "$ref": "#/components/schemas/Hash"
            }
          }
        }
      },
      "Rejection": {
        "type": "object",
        "required": [
          "index",
          "code",
          "message"
        ],
        "properties": {
          "index": {
            "type": "integer"
          },
          "code": {
            "type": "string",
            "enum": [
              "quality_too_low",
              "quality_missing",
              "implausible_hash",
              "pdq_required"
            ]
          },
          "message": {
            "type": "string"
          }
        }
      },
      "CaseCreated": {
        "type": "object",
        "required": [
          "case_id",
          "secret",
          "accepted",
          "rejected"
        ],
        "properties": {
          "case_id": {
            "type": "string"
          },
          "secret": {
            "type": "string",
            "description": "Shown only once; stored only as a slow salted hash."
          },
          "accepted": {
            "type": "integer"
          },
          "rejected": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Rejection"
            }
          },
          "message": {
            "type": "string"
          }
        }
      },
      "HashesAdded": {
        "type": "object",
        "required": [
          "case_id",
          "accepted",
          "rejected"
        ],
        "properties": {
          "case_id": {
            "type": "string"
          },
          "accepted": {
            "type": "integer"
          },
          "rejected": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Rejection"
            }
          }
        }
      },
      "CaseStatus": {
        "type": "object",
        "required": [
          "case_id",
          "status",
          "created_at",
          "images"
        ],
        "properties": {
          "case_id": {
            "type": "string"
          },
          "status": {
            "type": "string",
            "enum": [
              "active",
              "withdrawn"
            ]
          },
          "created_at": {
            "type": "string",
            "format": "date-time"
          },
          "withdrawn_at": {
            "type": "string",
            "format": "date-time"
          },
          "message": {
            "type": "string"
          },
          "images": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "image": {
                  "type": "integer"
                },
                "hashes": {
                  "type": "integer"
                },
                "platforms_matched": {
                  "type": "integer"
                },
                "feedback": {
                  "type": "object",
                  "properties": {
                    "pending_review": {
                      "type": "integer"
                    },
                    "removed": {
                      "type": "integer"
                    },
                    "not_violating": {
                      "type": "integer"
                    }
                  }
                }
              }
            }
          }
        }
      },
      "MatchRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "items"
        ],
        "properties": {
          "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 10000,
            "items": {
              "oneOf": [
                {
                  "$ref": "#/components/schemas/MatchItem256"
                },
                {
                  "$ref": "#/components/schemas/MatchItem64"
                },
                {
                  "$ref": "#/components/schemas/MatchItemMD5"
                }
              ]
            }
          },
          "max_distance": {
            "type": "integer",
            "enum": [
              31,
              23,
              15,
              8,
              6,
              4,
              0
            ],
            "description": "A fixed level, never any distance: 31, 23 or 15 for PDQ, going with 8, 6 or 4 for pHash and dHash (either number names the level, and it applies to every algorithm of the batch); 0 for exact matches only. MD5 and SHA-256 always match exactly. Absent: 31 and 8."
          }
        }
      },
      "MatchResponse": {
        "type": "object",
        "required": [
          "results"
        ],
        "properties": {
          "results": {
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "id",
                "matches"
              ],
              "properties": {
                "id": {
                  "type": "string"
                },
                "matches": {
                  "type": "array",
                  "items": {
                    "type": "object",
                    "required": [
                      "match_ref"
                    ],
                    "properties": {
                      "match_ref": {
                        "type": "string"
                      },
                      "distance": {
                        "type": "integer",
                        "description": "Hamming distance; only for platforms the operator trusts with it (serve --trusted-platform), left out otherwise."
                      }
                    }
                  }
                }
              }
            }
          }
        }
      },
      "FeedbackRequest": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "match_ref",
          "outcome"
        ],
        "properties": {
          "match_ref": {
            "type": "string"
          },
          "outcome": {
            "type": "string",
            "enum": [
              "pending_review",
              "removed",
              "not_violating"
            ]
          },
          "content_id": {
            "type": "string",
            "maxLength": 256
          }
        }
      },
      "FeedbackRecorded": {
        "type": "object",
        "properties": {
          "match_ref": {
            "type": "string"
          },
          "outcome": {
            "type": "string"
          },
          "recorded": {
            "type": "boolean"
          }
        }
      },
      "Error": {
        "type": "object",
        "required": [
          "error"
        ],
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "code",
              "message"
            ],
            "properties": {
              "code": {
                "type": "string"
              },
              "message": {
                "type": "string"
              }
            }
          }
        }
      },
      "HashPDQ": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "algorithm",
          "value",
          "quality"
        ],
        "properties": {
          "algorithm": {
            "type": "string",
            "enum": [
              "pdq"
            ]
          },
          "value": {
            "$ref": "#/components/schemas/Hex64"
          },
          "quality": {
            "type": "integer",
            "minimum": 0,
            "maximum": 100,
            "description": "PDQ quality; required for pdq (at least 50 to be accepted), refused for other algorithms."
          },
          "image": {
            "$ref": "#/components/schemas/PictureNumber"
          }
        }
      },
      "Hash64": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "algorithm",
          "value"
        ],
        "properties": {
          "algorithm": {
            "type": "string",
            "enum": [
              "phash",
              "dhash"
            ]
          },
          "value": {
            "$ref": "#/components/schemas/Hex16"
          },
          "image": {
            "$ref": "#/components/schemas/PictureNumber"
          }
        }
      },
      "HashMD5": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "algorithm",
          "value"
        ],
        "properties": {
          "algorithm": {
            "type": "string",
            "enum": [
              "md5"
            ]
          },
          "value": {
            "$ref": "#/components/schemas/Hex32"
          },
          "image": {
            "$ref": "#/components/schemas/PictureNumber"
          }
        }
      },
      "HashSHA256": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "algorithm",
          "value"
        ],
        "properties": {
          "algorithm": {
            "type": "string",
            "enum": [
              "sha256"
            ]
          },
          "value": {
            "$ref": "#/components/schemas/Hex64"
          },
          "image": {
            "$ref": "#/components/schemas/PictureNumber"
          }
        }
      },
      "MatchItem256": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "id",
          "algorithm",
          "value"
        ],
        "properties": {
          "id": {
            "$ref": "#/components/schemas/UploadID"
          },
          "algorithm": {
            "type": "string",
            "enum": [
              "pdq",
              "sha256"
            ]
          },
          "value": {
            "$ref": "#/components/schemas/Hex64"
          }
        }
      },
      "MatchItem64": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "id",
          "algorithm",
          "value"
        ],
        "properties": {
          "id": {
            "$ref": "#/components/schemas/UploadID"
          },
          "algorithm": {
            "type": "string",
            "enum": [
              "phash",
              "dhash"
            ]
          },
          "value": {
            "$ref": "#/components/schemas/Hex16"
          }
        }
      },
      "MatchItemMD5": {
        "type": "object",
        "additionalProperties": false,
        "required": [
          "id",
          "algorithm",
          "value"
        ],
        "properties": {
          "id": {
            "$ref": "#/components/schemas/UploadID"
          },
          "algorithm": {
            "type": "string",
            "enum": [
              "md5"
            ]
          },
          "value": {
            "$ref": "#/components/schemas/Hex32"
          }
        }
      },
      "Hex16": {
        "type": "string",
        "pattern": "^[0-9a-fA-F]{16}$",
        "minLength": 16,
        "maxLength": 16,
        "description": "16 hex digits (pHash, dHash)."
      },
      "Hex32": {
        "type": "string",
        "pattern": "^[0-9a-fA-F]{32}$",
        "minLength": 32,
        "maxLength": 32,
        "description": "32 hex digits (MD5)."
      },
      "Hex64": {
        "type": "string",
        "pattern": "^[0-9a-fA-F]{64}$",
        "minLength": 64,
        "maxLength": 64,
        "description": "64 hex digits (PDQ, SHA-256)."
      },
      "PictureNumber": {
        "type": "integer",
        "minimum": 0,
        "maximum": 1000000,
        "description": "Groups the hashes of one picture (its dihedral variants and companions, pHash, dHash, digests). A pHash or dHash is kept only beside an accepted PDQ of the same picture in the same request (pdq_required)."
      },
      "UploadID": {
        "type": "string",
        "maxLength": 256,
        "description": "The upload's own id. Items sharing an id are hashes of one upload: send its PDQ (and companions), pHash and dHash together; a pHash or dHash match counts only beside a PDQ of the same upload within 50 bits of the same bank picture (unless the operator trusts the platform)."
      }
    }
  }
}
"""#
}
