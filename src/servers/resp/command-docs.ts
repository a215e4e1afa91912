// Command summaries for COMMAND DOCS, one line per command or subcommand: "name|since|summary",
// under "# group" headings. The texts are Redis 7.0.15's own (COMMAND DOCS of redis-server
// 7.0.15, BSD-licensed), for the command groups Shale serves or answers; Streams, geo,
// HyperLogLog and cluster are left out. Only commands the server registers are reported.

const TABLE = `
# bitmap
bitcount|2.6.0|Count set bits in a string
bitfield|3.2.0|Perform arbitrary bitfield integer operations on strings
bitfield_ro|6.0.0|Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD
bitop|2.6.0|Perform bitwise operations between strings
bitpos|2.8.7|Find first bit set or clear in a string
getbit|2.2.0|Returns the bit value at offset in the string value stored at key
setbit|2.2.0|Sets or clears the bit at offset in the string value stored at key
# connection
auth|1.0.0|Authenticate to the server
client|2.4.0|A container for client connection commands
client|caching|6.0.0|Instruct the server about tracking or not keys in the next request
client|getname|2.6.9|Get the current connection name
client|getredir|6.0.0|Get tracking notifications redirection client ID if any
client|help|5.0.0|Show helpful text about the different subcommands
client|id|5.0.0|Returns the client ID for the current connection
client|info|6.2.0|Returns information about the current client connection.
client|kill|2.4.0|Kill the connection of a client
client|list|2.4.0|Get the list of client connections
client|no-evict|7.0.0|Set client eviction mode for the current connection
client|pause|2.9.50|Stop processing commands from clients for some time
client|reply|3.2.0|Instruct the server whether to reply to commands
client|setname|2.6.9|Set the current connection name
client|tracking|6.0.0|Enable or disable server assisted client side caching support
client|trackinginfo|6.2.0|Return information about server assisted client side caching for the current connection
client|unblock|5.0.0|Unblock a client blocked in a blocking command from a different connection
client|unpause|6.2.0|Resume processing of clients that were paused
echo|1.0.0|Echo the given string
hello|6.0.0|Handshake with Redis
ping|1.0.0|Ping the server
quit|1.0.0|Close the connection
reset|6.2.0|Reset the connection
select|1.0.0|Change the selected database for the current connection
# generic
copy|6.2.0|Copy a key
del|1.0.0|Delete a key
dump|2.6.0|Return a serialized version of the value stored at the specified key.
exists|1.0.0|Determine if a key exists
expire|1.0.0|Set a key's time to live in seconds
expireat|1.2.0|Set the expiration for a key as a UNIX timestamp
expiretime|7.0.0|Get the expiration Unix timestamp for a key
keys|1.0.0|Find all keys matching the given pattern
migrate|2.6.0|Atomically transfer a key from a Redis instance to another one.
move|1.0.0|Move a key to another database
object|2.2.3|A container for object introspection commands
object|encoding|2.2.3|Inspect the internal encoding of a Redis object
object|freq|4.0.0|Get the logarithmic access frequency counter of a Redis object
object|help|6.2.0|Show helpful text about the different subcommands
object|idletime|2.2.3|Get the time since a Redis object was last accessed
object|refcount|2.2.3|Get the number of references to the value of the key
persist|2.2.0|Remove the expiration from a key
pexpire|2.6.0|Set a key's time to live in milliseconds
pexpireat|2.6.0|Set the expiration for a key as a UNIX timestamp specified in milliseconds
pexpiretime|7.0.0|Get the expiration Unix timestamp for a key in milliseconds
pttl|2.6.0|Get the time to live for a key in milliseconds
randomkey|1.0.0|Return a random key from the keyspace
rename|1.0.0|Rename a key
renamenx|1.0.0|Rename a key, only if the new key does not exist
restore|2.6.0|Create a key using the provided serialized value, previously obtained using DUMP.
scan|2.8.0|Incrementally iterate the keys space
sort|1.0.0|Sort the elements in a list, set or sorted set
sort_ro|7.0.0|Sort the elements in a list, set or sorted set. Read-only variant of SORT.
touch|3.2.1|Alters the last access time of a key(s). Returns the number of existing keys specified.
ttl|1.0.0|Get the time to live for a key in seconds
type|1.0.0|Determine the type stored at key
unlink|4.0.0|Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.
wait|3.0.0|Wait for the synchronous replication of all the write commands sent in the context of the current connection
# hash
hdel|2.0.0|Delete one or more hash fields
hexists|2.0.0|Determine if a hash field exists
hget|2.0.0|Get the value of a hash field
hgetall|2.0.0|Get all the fields and values in a hash
hincrby|2.0.0|Increment the integer value of a hash field by the given number
hincrbyfloat|2.6.0|Increment the float value of a hash field by the given amount
hkeys|2.0.0|Get all the fields in a hash
hlen|2.0.0|Get the number of fields in a hash
hmget|2.0.0|Get the values of all the given hash fields
hmset|2.0.0|Set multiple hash fields to multiple values
hrandfield|6.2.0|Get one or multiple random fields from a hash
hscan|2.8.0|Incrementally iterate hash fields and associated values
hset|2.0.0|Set the string value of a hash field
hsetnx|2.0.0|Set the value of a hash field, only if the field does not exist
hstrlen|3.2.0|Get the length of the value of a hash field
hvals|2.0.0|Get all the values in a hash
# list
blmove|6.2.0|Pop an element from a list, push it to another list and return it; or block until one is available
blmpop|7.0.0|Pop elements from a list, or block until one is available
blpop|2.0.0|Remove and get the first element in a list, or block until one is available
brpop|2.0.0|Remove and get the last element in a list, or block until one is available
brpoplpush|2.2.0|Pop an element from a list, push it to another list and return it; or block until one is available
lindex|1.0.0|Get an element from a list by its index
linsert|2.2.0|Insert an element before or after another element in a list
llen|1.0.0|Get the length of a list
lmove|6.2.0|Pop an element from a list, push it to another list and return it
lmpop|7.0.0|Pop elements from a list
lpop|1.0.0|Remove and get the first elements in a list
lpos|6.0.6|Return the index of matching elements on a list
lpush|1.0.0|Prepend one or multiple elements to a list
lpushx|2.2.0|Prepend an element to a list, only if the list exists
lrange|1.0.0|Get a range of elements from a list
lrem|1.0.0|Remove elements from a list
lset|1.0.0|Set the value of an element in a list by its index
ltrim|1.0.0|Trim a list to the specified range
rpop|1.0.0|Remove and get the last elements in a list
rpoplpush|1.2.0|Remove the last element in a list, prepend it to another list and return it
rpush|1.0.0|Append one or multiple elements to a list
rpushx|2.2.0|Append an element to a list, only if the list exists
# pubsub
psubscribe|2.0.0|Listen for messages published to channels matching the given patterns
publish|2.0.0|Post a message to a channel
pubsub|2.8.0|A container for Pub/Sub commands
pubsub|channels|2.8.0|List active channels
pubsub|help|6.2.0|Show helpful text about the different subcommands
pubsub|numpat|2.8.0|Get the count of unique patterns pattern subscriptions
pubsub|numsub|2.8.0|Get the count of subscribers for channels
pubsub|shardchannels|7.0.0|List active shard channels
pubsub|shardnumsub|7.0.0|Get the count of subscribers for shard channels
punsubscribe|2.0.0|Stop listening for messages posted to channels matching the given patterns
spublish|7.0.0|Post a message to a shard channel
ssubscribe|7.0.0|Listen for messages published to the given shard channels
subscribe|2.0.0|Listen for messages published to the given channels
sunsubscribe|7.0.0|Stop listening for messages posted to the given shard channels
unsubscribe|2.0.0|Stop listening for messages posted to the given channels
# scripting
eval|2.6.0|Execute a Lua script server side
eval_ro|7.0.0|Execute a read-only Lua script server side
evalsha|2.6.0|Execute a Lua script server side
evalsha_ro|7.0.0|Execute a read-only Lua script server side
fcall|7.0.0|Invoke a function
fcall_ro|7.0.0|Invoke a read-only function
function|7.0.0|A container for function commands
function|delete|7.0.0|Delete a function by name
function|dump|7.0.0|Dump all functions into a serialized binary payload
function|flush|7.0.0|Deleting all functions
function|help|7.0.0|Show helpful text about the different subcommands
function|kill|7.0.0|Kill the function currently in execution.
function|list|7.0.0|List information about all the functions
function|load|7.0.0|Create a function with the given arguments (name, code, description)
function|restore|7.0.0|Restore all the functions on the given payload
function|stats|7.0.0|Return information about the function currently running (name, description, duration)
script|2.6.0|A container for Lua scripts management commands
script|debug|3.2.0|Set the debug mode for executed scripts.
script|exists|2.6.0|Check existence of scripts in the script cache.
script|flush|2.6.0|Remove all the scripts from the script cache.
script|help|5.0.0|Show helpful text about the different subcommands
script|kill|2.6.0|Kill the script currently in execution.
script|load|2.6.0|Load the specified Lua script into the script cache.
# server
acl|6.0.0|A container for Access List Control commands 
acl|cat|6.0.0|List the ACL categories or the commands inside a category
acl|deluser|6.0.0|Remove the specified ACL users and the associated rules
acl|dryrun|7.0.0|Returns whether the user can execute the given command without executing the command.
acl|genpass|6.0.0|Generate a pseudorandom secure password to use for ACL users
acl|getuser|6.0.0|Get the rules for a specific ACL user
acl|help|6.0.0|Show helpful text about the different subcommands
acl|list|6.0.0|List the current ACL rules in ACL config file format
acl|load|6.0.0|Reload the ACLs from the configured ACL file
acl|log|6.0.0|List latest events denied because of ACLs in place
acl|save|6.0.0|Save the current ACL rules in the configured ACL file
acl|setuser|6.0.0|Modify or create the rules for a specific ACL user
acl|users|6.0.0|List the username of all the configured ACL rules
acl|whoami|6.0.0|Return the name of the user associated to the current connection
bgrewriteaof|1.0.0|Asynchronously rewrite the append-only file
bgsave|1.0.0|Asynchronously save the dataset to disk
command|2.8.13|Get array of Redis command details
command|count|2.8.13|Get total number of Redis commands
command|docs|7.0.0|Get array of specific Redis command documentation
command|getkeys|2.8.13|Extract keys given a full Redis command
command|getkeysandflags|7.0.0|Extract keys and access flags given a full Redis command
command|help|5.0.0|Show helpful text about the different subcommands
command|info|2.8.13|Get array of specific Redis command details, or all when no argument is given.
command|list|7.0.0|Get an array of Redis command names
config|2.0.0|A container for server configuration commands
config|get|2.0.0|Get the values of configuration parameters
config|help|5.0.0|Show helpful text about the different subcommands
config|resetstat|2.0.0|Reset the stats returned by INFO
config|rewrite|2.8.0|Rewrite the configuration file with the in memory configuration
config|set|2.0.0|Set configuration parameters to the given values
dbsize|1.0.0|Return the number of keys in the selected database
debug|1.0.0|A container for debugging commands
failover|6.2.0|Start a coordinated failover between this server and one of its replicas.
flushall|1.0.0|Remove all keys from all databases
flushdb|1.0.0|Remove all keys from the current database
info|1.0.0|Get information and statistics about the server
lastsave|1.0.0|Get the UNIX time stamp of the last successful save to disk
latency|2.8.13|A container for latency diagnostics commands
latency|doctor|2.8.13|Return a human readable latency analysis report.
latency|graph|2.8.13|Return a latency graph for the event.
latency|help|2.8.13|Show helpful text about the different subcommands.
latency|histogram|7.0.0|Return the cumulative distribution of latencies of a subset of commands or all.
latency|history|2.8.13|Return timestamp-latency samples for the event.
latency|latest|2.8.13|Return the latest latency samples for all events.
latency|reset|2.8.13|Reset latency data for one or more events.
lolwut|5.0.0|Display some computer art and the Redis version
memory|4.0.0|A container for memory diagnostics commands
memory|doctor|4.0.0|Outputs memory problems report
memory|help|4.0.0|Show helpful text about the different subcommands
memory|malloc-stats|4.0.0|Show allocator internal stats
memory|purge|4.0.0|Ask the allocator to release memory
memory|stats|4.0.0|Show memory usage details
memory|usage|4.0.0|Estimate the memory usage of a key
module|4.0.0|A container for module commands
module|help|5.0.0|Show helpful text about the different subcommands
module|list|4.0.0|List all modules loaded by the server
module|load|4.0.0|Load a module
module|loadex|7.0.0|Load a module with extended parameters
module|unload|4.0.0|Unload a module
monitor|1.0.0|Listen for all requests received by the server in real time
psync|2.8.0|Internal command used for replication
replconf|3.0.0|An internal command for configuring the replication stream
replicaof|5.0.0|Make the server a replica of another instance, or promote it as master.
restore-asking|3.0.0|An internal command for migrating keys in a cluster
role|2.8.12|Return the role of the instance in the context of replication
save|1.0.0|Synchronously save the dataset to disk
shutdown|1.0.0|Synchronously save the dataset to disk and then shut down the server
slaveof|1.0.0|Make the server a replica of another instance, or promote it as master.
slowlog|2.2.12|A container for slow log commands
slowlog|get|2.2.12|Get the slow log's entries
slowlog|help|6.2.0|Show helpful text about the different subcommands
slowlog|len|2.2.12|Get the slow log's length
slowlog|reset|2.2.12|Clear all entries from the slow log
swapdb|4.0.0|Swaps two Redis databases
sync|1.0.0|Internal command used for replication
time|2.6.0|Return the current server time
# set
sadd|1.0.0|Add one or more members to a set
scard|1.0.0|Get the number of members in a set
sdiff|1.0.0|Subtract multiple sets
sdiffstore|1.0.0|Subtract multiple sets and store the resulting set in a key
sinter|1.0.0|Intersect multiple sets
sintercard|7.0.0|Intersect multiple sets and return the cardinality of the result
sinterstore|1.0.0|Intersect multiple sets and store the resulting set in a key
sismember|1.0.0|Determine if a given value is a member of a set
smembers|1.0.0|Get all the members in a set
smismember|6.2.0|Returns the membership associated with the given elements for a set
smove|1.0.0|Move a member from one set to another
spop|1.0.0|Remove and return one or multiple random members from a set
srandmember|1.0.0|Get one or multiple random members from a set
srem|1.0.0|Remove one or more members from a set
sscan|2.8.0|Incrementally iterate Set elements
sunion|1.0.0|Add multiple sets
sunionstore|1.0.0|Add multiple sets and store the resulting set in a key
# sorted-set
bzmpop|7.0.0|Remove and return members with scores in a sorted set or block until one is available
bzpopmax|5.0.0|Remove and return the member with the highest score from one or more sorted sets, or block until one is available
bzpopmin|5.0.0|Remove and return the member with the lowest score from one or more sorted sets, or block until one is available
zadd|1.2.0|Add one or more members to a sorted set, or update its score if it already exists
zcard|1.2.0|Get the number of members in a sorted set
zcount|2.0.0|Count the members in a sorted set with scores within the given values
zdiff|6.2.0|Subtract multiple sorted sets
zdiffstore|6.2.0|Subtract multiple sorted sets and store the resulting sorted set in a new key
zincrby|1.2.0|Increment the score of a member in a sorted set
zinter|6.2.0|Intersect multiple sorted sets
zintercard|7.0.0|Intersect multiple sorted sets and return the cardinality of the result
zinterstore|2.0.0|Intersect multiple sorted sets and store the resulting sorted set in a new key
zlexcount|2.8.9|Count the number of members in a sorted set between a given lexicographical range
zmpop|7.0.0|Remove and return members with scores in a sorted set
zmscore|6.2.0|Get the score associated with the given members in a sorted set
zpopmax|5.0.0|Remove and return members with the highest scores in a sorted set
zpopmin|5.0.0|Remove and return members with the lowest scores in a sorted set
zrandmember|6.2.0|Get one or multiple random elements from a sorted set
zrange|1.2.0|Return a range of members in a sorted set
zrangebylex|2.8.9|Return a range of members in a sorted set, by lexicographical range
zrangebyscore|1.0.5|Return a range of members in a sorted set, by score
zrangestore|6.2.0|Store a range of members from sorted set into another key
zrank|2.0.0|Determine the index of a member in a sorted set
zrem|1.2.0|Remove one or more members from a sorted set
zremrangebylex|2.8.9|Remove all members in a sorted set between the given lexicographical range
zremrangebyrank|2.0.0|Remove all members in a sorted set within the given indexes
zremrangebyscore|1.2.0|Remove all members in a sorted set within the given scores
zrevrange|1.2.0|Return a range of members in a sorted set, by index, with scores ordered from high to low
zrevrangebylex|2.8.9|Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.
zrevrangebyscore|2.2.0|Return a range of members in a sorted set, by score, with scores ordered from high to low
zrevrank|2.0.0|Determine the index of a member in a sorted set, with scores ordered from high to low
zscan|2.8.0|Incrementally iterate sorted sets elements and associated scores
zscore|1.2.0|Get the score associated with the given member in a sorted set
zunion|6.2.0|Add multiple sorted sets
zunionstore|2.0.0|Add multiple sorted sets and store the resulting sorted set in a new key
# string
append|2.0.0|Append a value to a key
decr|1.0.0|Decrement the integer value of a key by one
decrby|1.0.0|Decrement the integer value of a key by the given number
get|1.0.0|Get the value of a key
getdel|6.2.0|Get the value of a key and delete the key
getex|6.2.0|Get the value of a key and optionally set its expiration
getrange|2.4.0|Get a substring of the string stored at a key
getset|1.0.0|Set the string value of a key and return its old value
incr|1.0.0|Increment the integer value of a key by one
incrby|1.0.0|Increment the integer value of a key by the given amount
incrbyfloat|2.6.0|Increment the float value of a key by the given amount
lcs|7.0.0|Find longest common substring
mget|1.0.0|Get the values of all the given keys
mset|1.0.1|Set multiple keys to multiple values
msetnx|1.0.1|Set multiple keys to multiple values, only if none of the keys exist
psetex|2.6.0|Set the value and expiration in milliseconds of a key
set|1.0.0|Set the string value of a key
setex|2.0.0|Set the value and expiration of a key
setnx|1.0.0|Set the value of a key, only if the key does not exist
setrange|2.2.0|Overwrite part of a string at key starting at the specified offset
strlen|2.2.0|Get the length of the value stored in a key
substr|1.0.0|Get a substring of the string stored at a key
# transactions
discard|2.0.0|Discard all commands issued after MULTI
exec|1.2.0|Execute all commands issued after MULTI
multi|1.2.0|Mark the start of a transaction block
unwatch|2.2.0|Forget about all watched keys
watch|2.2.0|Watch the given keys to determine execution of the MULTI/EXEC block
`;

export interface CommandDoc {
  summary: string;
  since: string;
  group: string;
}

let docs: Map<string, CommandDoc> | null = null;

/** The summary, since and group of a command ("get") or subcommand ("config|get"), if known. */
export function commandDoc(name: string): CommandDoc | undefined {
  if (docs === null) {
    docs = new Map();
    let group = "generic";
    for (const line of TABLE.split("\n")) {
      if (line === "") continue;
      if (line.startsWith("# ")) {
        group = line.slice(2);
        continue;
      }
      // Subcommand names hold a '|' too ("config|get"); summaries hold none.
      const b = line.lastIndexOf("|");
      const a = line.lastIndexOf("|", b - 1);
      docs.set(line.slice(0, a), { since: line.slice(a + 1, b), summary: line.slice(b + 1), group });
    }
  }
  return docs.get(name);
}
