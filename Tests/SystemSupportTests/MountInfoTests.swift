import SystemSupport
import Testing

@Suite struct MountInfoTests {
    static let text = """
        22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
        40 22 0:45 / /srv/farm rw,nosuid,nodev,relatime shared:7 - fuse.sshfs render@nas:/farm rw,user_id=0,group_id=0
        41 22 0:46 / /mnt/nfs rw,relatime shared:8 - nfs4 nas:/export rw,vers=4.2,rsize=1048576,hard,proto=tcp
        42 22 0:47 / /mnt/nfs\\040fast rw,relatime - nfs nas:/fast rw,vers=3,lookupcache=none
        43 22 0:48 / /mnt/smb rw,relatime - cifs //nas/share rw,vers=3.1.1,actimeo=1
        """

    @Test func theMountHoldingAPathAndWhatToSayAboutIt() throws {
        let sshfs = try #require(MountInfo.holding("/srv/farm/inbox", in: Self.text))
        #expect(sshfs.mountPoint == "/srv/farm" && sshfs.type == "fuse.sshfs")
        #expect(sshfs.pickupHint?.contains("dir_cache=no") == true)

        let nfs = try #require(MountInfo.holding("/mnt/nfs/root/inbox", in: Self.text))
        #expect(nfs.type == "nfs4" && nfs.pickupHint?.contains("lookupcache=positive") == true)

        // An escaped space in the mount point, and caching already off: nothing to say.
        let fast = try #require(MountInfo.holding("/mnt/nfs fast/inbox", in: Self.text))
        #expect(fast.mountPoint == "/mnt/nfs fast" && fast.pickupHint == nil)

        #expect(MountInfo.holding("/mnt/smb/inbox", in: Self.text)?.pickupHint != nil)
        let local = try #require(MountInfo.holding("/srv/farmhouse/inbox", in: Self.text))
        #expect(local.mountPoint == "/" && local.pickupHint == nil)
    }
}
